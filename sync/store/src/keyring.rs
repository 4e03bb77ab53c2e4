//! The terminal's data key and the key that protects it.
//!
//! Personal data on a terminal's disk is sealed (SM4-GCM) under one random 128-bit data key per terminal
//! (issue 7: "never stored in plain form next to the data"). The data key lives in
//! `<data_dir>/data-key.sealed`, itself sealed under a key-encryption key (KEK) that lives somewhere else:
//! a key file outside the data folder, or a systemd credential (`LoadCredentialEncrypted=`, which can bind
//! it to the TPM2 or the host key). Whoever copies the data folder alone gets nothing readable.
//!
//! Rotating the KEK only rewraps the 16-byte data key ([`rewrap_data_key`]); the data stays as it is.
//! The sealed data key is never overwritten by anything but a successful rewrap, so a wrong or missing
//! KEK can never cost the data (`keyring.wrong_kek`, `keyring.no_kek`).

use std::fs::File;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use banshi_core::ErrorCode;
use banshi_crypto::{CryptoError, DataKey};

/// The sealed data key's file name inside the data folder.
pub const DATA_KEY_FILE: &str = "data-key.sealed";
/// The systemd credential [`kek_source_from_env`] looks for.
pub const KEK_CREDENTIAL: &str = "banshi-kek";
/// What the sealed data key is bound to: a data key cannot be unsealed as anything else.
const DATA_KEY_AAD: &[u8] = b"banshi data key v1";
/// A KEK is 16 bytes, written as 32 hex characters.
const KEK_HEX_LEN: usize = 32;

/// Where the key-encryption key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KekSource {
    /// A file holding 32 hex characters; created (mode 0600, its folder 0700) on first use if missing.
    File(PathBuf),
    /// A systemd credential `<dir>/<name>` (`$CREDENTIALS_DIRECTORY`): read-only, never created.
    Credential { dir: PathBuf, name: String },
}

impl KekSource {
    fn path(&self) -> PathBuf {
        match self {
            KekSource::File(path) => path.clone(),
            KekSource::Credential { dir, name } => dir.join(name),
        }
    }
}

/// Errors of the key handling. None of them carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "the key-encryption key {kek} is inside the data folder {data_dir}: it must be kept apart"
    )]
    KekBesideData { kek: String, data_dir: String },
    #[error("the key-encryption key does not open {path}: wrong key, or the file was altered")]
    WrongKek { path: String },
    #[error("the key-encryption key {kek} is missing (it is needed for {path})")]
    NoKek { path: String, kek: String },
    #[error("the key-encryption key {path} is not {KEK_HEX_LEN} hex characters")]
    BadKek { path: String },
    #[error("the sealed data key {path} is damaged (too short)")]
    Damaged { path: String },
    #[error("key file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("making a key failed: {0}")]
    Crypto(#[source] CryptoError),
}

impl ErrorCode for KeyringError {
    fn code(&self) -> &'static str {
        match self {
            KeyringError::KekBesideData { .. } => "keyring.kek_beside_data",
            KeyringError::WrongKek { .. } => "keyring.wrong_kek",
            KeyringError::NoKek { .. } => "keyring.no_kek",
            KeyringError::BadKek { .. } => "keyring.bad_kek",
            KeyringError::Damaged { .. } => "keyring.damaged",
            KeyringError::Io { .. } => "keyring.io",
            KeyringError::Crypto(_) => "keyring.crypto",
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> KeyringError + '_ {
    move |source| KeyringError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The systemd credential `banshi-kek` when the service has one (`$CREDENTIALS_DIRECTORY` is set and holds
/// it), else the key file `default_file`.
pub fn kek_source_from_env(default_file: PathBuf) -> KekSource {
    if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
        let dir = PathBuf::from(dir);
        if dir.join(KEK_CREDENTIAL).is_file() {
            return KekSource::Credential {
                dir,
                name: KEK_CREDENTIAL.to_string(),
            };
        }
    }
    KekSource::File(default_file)
}

/// The data key of the store in `data_dir`, unsealed with `kek`. On first start (no `data-key.sealed`) a
/// new random data key is made and sealed; a KEK file that does not exist yet is made too. When the sealed
/// key exists, a KEK that is missing (`keyring.no_kek`) or does not open it (`keyring.wrong_kek`) is an
/// error and the sealed key is left exactly as it was.
pub fn open_data_key(data_dir: &Path, kek: &KekSource) -> Result<DataKey, KeyringError> {
    refuse_kek_beside_data(data_dir, kek)?;
    let sealed_path = data_dir.join(DATA_KEY_FILE);
    if let Some(sealed) = read_if_exists(&sealed_path)? {
        let kek_key = read_kek(kek)?.ok_or_else(|| KeyringError::NoKek {
            path: sealed_path.display().to_string(),
            kek: kek.path().display().to_string(),
        })?;
        return unseal(&kek_key, &sealed, &sealed_path);
    }
    let kek_key = read_or_create_kek(kek)?;
    let data_key = DataKey::generate().map_err(KeyringError::Crypto)?;
    let sealed = banshi_crypto::seal(&kek_key, data_key.bytes(), DATA_KEY_AAD)
        .map_err(KeyringError::Crypto)?;
    std::fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;
    if write_atomically(&sealed_path, &sealed, false)? {
        tracing::info!(path = %sealed_path.display(), "made a new data key");
        return Ok(data_key);
    }
    // Another process started first and sealed its own key: use that one.
    let sealed = std::fs::read(&sealed_path).map_err(io_error(&sealed_path))?;
    unseal(&kek_key, &sealed, &sealed_path)
}

/// Rotate the KEK: unseal the data key with `old` and seal it again under `new` (a `new` key file that does
/// not exist yet is made). The new `data-key.sealed` replaces the old one in one rename (temporary file,
/// fsync, rename, fsync of the folder), so a crash leaves either the old or the new one, never neither.
pub fn rewrap_data_key(
    data_dir: &Path,
    old: &KekSource,
    new: &KekSource,
) -> Result<(), KeyringError> {
    refuse_kek_beside_data(data_dir, old)?;
    refuse_kek_beside_data(data_dir, new)?;
    let sealed_path = data_dir.join(DATA_KEY_FILE);
    let sealed = std::fs::read(&sealed_path).map_err(io_error(&sealed_path))?;
    let old_key = read_kek(old)?.ok_or_else(|| KeyringError::NoKek {
        path: sealed_path.display().to_string(),
        kek: old.path().display().to_string(),
    })?;
    let data_key = unseal(&old_key, &sealed, &sealed_path)?;
    let new_key = read_or_create_kek(new)?;
    let resealed = banshi_crypto::seal(&new_key, data_key.bytes(), DATA_KEY_AAD)
        .map_err(KeyringError::Crypto)?;
    write_atomically(&sealed_path, &resealed, true)?;
    tracing::info!(path = %sealed_path.display(), "data key rewrapped under a new key-encryption key");
    Ok(())
}

fn unseal(kek: &DataKey, sealed: &[u8], path: &Path) -> Result<DataKey, KeyringError> {
    let opened = banshi_crypto::open(kek, sealed, DATA_KEY_AAD).map_err(|e| match e {
        CryptoError::Truncated => KeyringError::Damaged {
            path: path.display().to_string(),
        },
        _ => KeyringError::WrongKek {
            path: path.display().to_string(),
        },
    })?;
    let bytes: [u8; 16] = opened
        .as_slice()
        .try_into()
        .map_err(|_| KeyringError::Damaged {
            path: path.display().to_string(),
        })?;
    Ok(DataKey::from_bytes(bytes))
}

fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, KeyringError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// The KEK, or `None` when its file or credential does not exist.
fn read_kek(kek: &KekSource) -> Result<Option<DataKey>, KeyringError> {
    let path = kek.path();
    let Some(text) = read_if_exists(&path)? else {
        return Ok(None);
    };
    parse_kek(&text, &path).map(Some)
}

fn parse_kek(text: &[u8], path: &Path) -> Result<DataKey, KeyringError> {
    let bad = || KeyringError::BadKek {
        path: path.display().to_string(),
    };
    let text = std::str::from_utf8(text).map_err(|_| bad())?.trim();
    if text.len() != KEK_HEX_LEN {
        return Err(bad());
    }
    let mut bytes = [0u8; 16];
    hex::decode_to_slice(text, &mut bytes).map_err(|_| bad())?;
    Ok(DataKey::from_bytes(bytes))
}

/// The KEK; a key file that does not exist is made (a credential never is: systemd provides it).
fn read_or_create_kek(kek: &KekSource) -> Result<DataKey, KeyringError> {
    if let Some(key) = read_kek(kek)? {
        return Ok(key);
    }
    let path = match kek {
        KekSource::File(path) => path,
        KekSource::Credential { .. } => {
            return Err(KeyringError::NoKek {
                path: DATA_KEY_FILE.to_string(),
                kek: kek.path().display().to_string(),
            })
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let key = DataKey::generate().map_err(KeyringError::Crypto)?;
    let text = format!("{}\n", hex::encode(key.bytes()));
    if write_atomically(path, text.as_bytes(), false)? {
        tracing::info!(path = %path.display(), "made a new key-encryption key file");
        return Ok(key);
    }
    // Made by another process meanwhile.
    read_kek(kek)?.ok_or_else(|| KeyringError::BadKek {
        path: path.display().to_string(),
    })
}

fn create_private_dir(dir: &Path) -> Result<(), KeyringError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_error(dir))
}

/// Write `bytes` to `path` through a temporary file in the same folder (mode 0600), fsynced, then renamed
/// and the folder fsynced. With `replace` false an existing `path` is kept and `false` returned.
fn write_atomically(path: &Path, bytes: &[u8], replace: bool) -> Result<bool, KeyringError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile creates its files with mode 0600 on Unix.
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_error(dir))?;
    tmp.write_all(bytes).map_err(io_error(tmp.path()))?;
    tmp.as_file().sync_all().map_err(io_error(tmp.path()))?;
    if replace {
        tmp.persist(path).map_err(|e| io_error(path)(e.error))?;
    } else if let Err(e) = tmp.persist_noclobber(path) {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            return Ok(false);
        }
        return Err(io_error(path)(e.error));
    }
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))?;
    Ok(true)
}

/// A KEK kept inside the data folder would travel with every copy of it: refused.
fn refuse_kek_beside_data(data_dir: &Path, kek: &KekSource) -> Result<(), KeyringError> {
    let kek_path = kek.path();
    if resolve(&kek_path)?.starts_with(resolve(data_dir)?) {
        return Err(KeyringError::KekBesideData {
            kek: kek_path.display().to_string(),
            data_dir: data_dir.display().to_string(),
        });
    }
    Ok(())
}

/// `path` made absolute, `.`/`..` taken out, and symlinks resolved as far as the path exists (the rest may
/// not exist yet).
fn resolve(path: &Path) -> Result<PathBuf, KeyringError> {
    let absolute = std::path::absolute(path).map_err(io_error(path))?;
    let mut lexical = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            other => lexical.push(other),
        }
    }
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            out.extend(rest.iter().rev());
            return Ok(out);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return Ok(lexical),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out: Vec<_> = std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| (e.path(), std::fs::read(e.path()).expect("read")))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn the_first_start_makes_a_private_kek_file_and_the_same_key_comes_back() {
        let root = tempfile::tempdir().expect("tempdir");
        let data = root.path().join("data");
        let kek = KekSource::File(root.path().join("keys").join("t1.kek"));
        let key = open_data_key(&data, &kek).expect("first start");
        assert!(data.join(DATA_KEY_FILE).is_file());
        let kek_text = std::fs::read_to_string(root.path().join("keys/t1.kek")).expect("kek");
        assert_eq!(kek_text.trim().len(), KEK_HEX_LEN);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&root.path().join("keys/t1.kek")), 0o600);
            assert_eq!(mode(&root.path().join("keys")), 0o700);
        }
        // The sealed key does not hold the data key in clear.
        let sealed = std::fs::read(data.join(DATA_KEY_FILE)).expect("sealed");
        assert!(!sealed.windows(16).any(|w| w == key.bytes()));
        let again = open_data_key(&data, &kek).expect("second start");
        assert_eq!(again.bytes(), key.bytes());
    }

    #[test]
    fn a_wrong_or_missing_kek_is_refused_and_leaves_the_files_byte_identical() {
        let root = tempfile::tempdir().expect("tempdir");
        let data = root.path().join("data");
        let kek = KekSource::File(root.path().join("right.kek"));
        open_data_key(&data, &kek).expect("first start");
        let before = files(&data);

        let wrong = root.path().join("wrong.kek");
        std::fs::write(&wrong, "00112233445566778899aabbccddeeff\n").expect("write");
        let e = open_data_key(&data, &KekSource::File(wrong)).expect_err("wrong kek");
        assert_eq!(e.code(), "keyring.wrong_kek");

        let missing = root.path().join("missing.kek");
        let e = open_data_key(&data, &KekSource::File(missing.clone())).expect_err("no kek");
        assert_eq!(e.code(), "keyring.no_kek");
        assert!(!missing.exists(), "a missing KEK must not be made up");

        let e = open_data_key(
            &data,
            &KekSource::Credential {
                dir: root.path().join("creds"),
                name: KEK_CREDENTIAL.into(),
            },
        )
        .expect_err("no credential");
        assert_eq!(e.code(), "keyring.no_kek");
        assert_eq!(files(&data), before);
    }

    #[test]
    fn a_kek_inside_the_data_folder_is_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        let data = root.path().join("data");
        for inside in [
            data.join("data.kek"),
            data.join("keys/../sub/x.kek"),
            root.path().join("other/../data/y.kek"),
        ] {
            let e = open_data_key(&data, &KekSource::File(inside.clone())).expect_err("inside");
            assert_eq!(e.code(), "keyring.kek_beside_data", "{}", inside.display());
            assert!(!inside.exists());
        }
        assert!(!data.join(DATA_KEY_FILE).exists());
        // A sibling folder whose name merely starts the same is fine.
        open_data_key(&data, &KekSource::File(root.path().join("data-keys/t.kek")))
            .expect("outside");
    }

    #[test]
    fn rewrapping_moves_the_data_key_to_the_new_kek_only() {
        let root = tempfile::tempdir().expect("tempdir");
        let data = root.path().join("data");
        let old = KekSource::File(root.path().join("old.kek"));
        let new = KekSource::File(root.path().join("new.kek"));
        let key = open_data_key(&data, &old).expect("first start");
        rewrap_data_key(&data, &old, &new).expect("rewrap");
        assert_eq!(
            open_data_key(&data, &new).expect("new kek").bytes(),
            key.bytes()
        );
        assert_eq!(
            open_data_key(&data, &old).expect_err("old kek").code(),
            "keyring.wrong_kek"
        );
        // A rewrap with the wrong old KEK changes nothing.
        let before = files(&data);
        let e = rewrap_data_key(&data, &old, &KekSource::File(root.path().join("third.kek")))
            .expect_err("wrong old");
        assert_eq!(e.code(), "keyring.wrong_kek");
        assert_eq!(files(&data), before);
    }

    #[test]
    fn a_systemd_credential_is_used_when_present_and_never_created() {
        let root = tempfile::tempdir().expect("tempdir");
        let creds = root.path().join("creds");
        std::fs::create_dir_all(&creds).expect("mkdir");
        let credential = KekSource::Credential {
            dir: creds.clone(),
            name: KEK_CREDENTIAL.into(),
        };
        let data = root.path().join("data");
        assert_eq!(
            open_data_key(&data, &credential)
                .expect_err("missing")
                .code(),
            "keyring.no_kek"
        );
        assert!(!creds.join(KEK_CREDENTIAL).exists());
        std::fs::write(
            creds.join(KEK_CREDENTIAL),
            "0123456789abcdef0123456789abcdef",
        )
        .expect("write");
        let key = open_data_key(&data, &credential).expect("credential");
        assert_eq!(
            open_data_key(&data, &credential).expect("again").bytes(),
            key.bytes()
        );
        std::fs::write(creds.join(KEK_CREDENTIAL), "not hex").expect("write");
        assert_eq!(
            open_data_key(&data, &credential).expect_err("bad").code(),
            "keyring.bad_kek"
        );
    }
}
