//! The terminal's identity towards sync servers: its SM2 key pair and its enrollment.
//!
//! The key pair is generated on first start and never leaves the machine; the server only ever sees the
//! public key. It is kept in `terminal-key` (hex of the secret scalar, readable by the terminal's user
//! only) next to `enrollment.json` (which hall and scopes the server bound this terminal to). Both are
//! written atomically (temporary file, fsync, rename), so a crash leaves the old or the new version.
//! Protecting the key file further (sealing it under the terminal's data key) belongs to the
//! data-protection work; losing it only means enrolling again.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use banshi_crypto::SigningKeyPair;
use banshi_sync_protocol as proto;

const KEY_FILE: &str = "terminal-key";
const ENROLLMENT_FILE: &str = "enrollment.json";

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("terminal identity folder {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the terminal key in {0} is damaged; delete it and enroll the terminal again")]
    BadKey(String),
    #[error("creating the terminal key failed: {0}")]
    KeyGeneration(String),
}

/// Headers that sign one request.
#[derive(Debug, Clone)]
pub struct RequestSignature {
    pub time_ms: i64,
    pub nonce: String,
    pub signature: String,
}

/// One terminal's key pair and enrollment.
#[derive(Debug)]
pub struct TerminalIdentity {
    terminal_id: String,
    key: SigningKeyPair,
    dir: PathBuf,
    enrollment: Mutex<Option<proto::Enrolled>>,
}

impl TerminalIdentity {
    /// Load the identity kept in `dir`, creating a key pair on first use. An enrollment recorded for
    /// another terminal id (the profile was changed) does not count: that id must enroll itself.
    pub fn load_or_create(dir: &Path, terminal_id: &str) -> Result<Self, IdentityError> {
        let io = |source| IdentityError::Io {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let key_path = dir.join(KEY_FILE);
        let key = match std::fs::read_to_string(&key_path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim())
                    .map_err(|_| IdentityError::BadKey(key_path.display().to_string()))?;
                SigningKeyPair::from_secret_bytes(&bytes)
                    .map_err(|_| IdentityError::BadKey(key_path.display().to_string()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SigningKeyPair::generate()
                    .map_err(|e| IdentityError::KeyGeneration(e.to_string()))?;
                write_atomically(&key_path, hex::encode(key.secret_bytes()).as_bytes(), true)
                    .map_err(io)?;
                tracing::info!(terminal = %terminal_id, "created the terminal's SM2 key pair");
                key
            }
            Err(e) => return Err(io(e)),
        };
        let enrollment = std::fs::read(dir.join(ENROLLMENT_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<proto::Enrolled>(&bytes).ok())
            .filter(|e| e.terminal_id == terminal_id);
        Ok(Self {
            terminal_id: terminal_id.to_string(),
            key,
            dir: dir.to_path_buf(),
            enrollment: Mutex::new(enrollment),
        })
    }

    pub fn terminal_id(&self) -> &str {
        &self.terminal_id
    }

    /// The key pair, for signing what this terminal produces (bundles).
    pub fn key(&self) -> &SigningKeyPair {
        &self.key
    }

    pub fn public_key_hex(&self) -> String {
        self.key.public_key_hex()
    }

    /// The enrollment, if this terminal has one.
    pub fn enrollment(&self) -> Option<proto::Enrolled> {
        self.enrollment
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Record (or, with `None`, forget) the enrollment, durably.
    pub fn set_enrollment(&self, enrolled: Option<proto::Enrolled>) -> Result<(), IdentityError> {
        let path = self.dir.join(ENROLLMENT_FILE);
        let io = |source| IdentityError::Io {
            path: path.display().to_string(),
            source,
        };
        match &enrolled {
            Some(e) => {
                let json = serde_json::to_vec_pretty(e).unwrap_or_default();
                write_atomically(&path, &json, false).map_err(io)?;
            }
            None => match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            },
        }
        *self.enrollment.lock().unwrap_or_else(|p| p.into_inner()) = enrolled;
        Ok(())
    }

    /// Sign a request (`method`, target `path?query`, body) at `time_ms` with a fresh nonce.
    pub fn sign(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        time_ms: i64,
    ) -> Result<RequestSignature, IdentityError> {
        let nonce = hex::encode(
            banshi_crypto::random_bytes::<16>()
                .map_err(|e| IdentityError::KeyGeneration(e.to_string()))?,
        );
        let signed = proto::signing_string(
            method,
            path_and_query,
            &self.terminal_id,
            time_ms,
            &nonce,
            &banshi_crypto::sm3_hex(body),
        );
        Ok(RequestSignature {
            time_ms,
            nonce,
            signature: self.key.sign_hex(signed.as_bytes()),
        })
    }
}

fn write_atomically(path: &Path, bytes: &[u8], secret: bool) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    if let Some(parent) = path.parent() {
        // The rename itself must survive power loss too.
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_survives_a_restart_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = TerminalIdentity::load_or_create(dir.path(), "t1").unwrap();
        let b = TerminalIdentity::load_or_create(dir.path(), "t1").unwrap();
        assert_eq!(a.public_key_hex(), b.public_key_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "key file readable by others: {mode:o}");
        }
    }

    #[test]
    fn an_enrollment_belongs_to_one_terminal_id() {
        let dir = tempfile::tempdir().unwrap();
        let a = TerminalIdentity::load_or_create(dir.path(), "t1").unwrap();
        a.set_enrollment(Some(proto::Enrolled {
            terminal_id: "t1".into(),
            hall_id: "h".into(),
            role: "terminal".into(),
            scopes: vec!["hall:h".into()],
        }))
        .unwrap();
        assert!(TerminalIdentity::load_or_create(dir.path(), "t1")
            .unwrap()
            .enrollment()
            .is_some());
        assert!(TerminalIdentity::load_or_create(dir.path(), "t2")
            .unwrap()
            .enrollment()
            .is_none());
        a.set_enrollment(None).unwrap();
        assert!(TerminalIdentity::load_or_create(dir.path(), "t1")
            .unwrap()
            .enrollment()
            .is_none());
    }

    #[test]
    fn a_damaged_key_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not hex").unwrap();
        assert!(matches!(
            TerminalIdentity::load_or_create(dir.path(), "t1"),
            Err(IdentityError::BadKey(_))
        ));
    }
}
