//! Removable-media bundles: a field laptop's unsynced records and blobs, carried on a USB stick to a machine
//! that is online.
//!
//! A bundle is encrypted (SM4-GCM under a key derived from a passphrase the two people share, PBKDF2-HMAC-SM3
//! with a random salt) and signed (SM2, by the exporting terminal's key; the public key is in the header so
//! any change to the file is detected — whether that key belongs to an enrolled terminal is checked by the
//! server when the records sync on). Importing merges every record into the local store (automerge: the same
//! bundle imported twice changes nothing) and keeps the blobs (content-addressed: never twice).
//!
//! Layout (all integers big-endian):
//!
//! ```text
//! "BANSHI-BUNDLE1\n"  | u32 header length | header JSON | u64 sealed length | sealed payload | u16 sig length | signature hex
//! ```
//!
//! The signature covers every byte before it; the header JSON is the sealed payload's associated data. The
//! payload is a sequence of entries `u32 meta length | meta JSON {kind: doc|blob, id, scope} | u64 length | bytes`.

use std::io::{Read, Write};
use std::path::Path;

use banshi_crypto::{DataKey, SigningKeyPair};
use banshi_store::{BlobState, Store};
use serde::{Deserialize, Serialize};

const MAGIC: &[u8] = b"BANSHI-BUNDLE1\n";
const KDF_ITERATIONS: u32 = 100_000;
/// The shortest passphrase a bundle is made with: it is all that protects the records on lost media.
pub const MIN_PASSPHRASE_CHARS: usize = 8;
/// Largest bundle accepted on import, so a hostile file cannot exhaust memory.
pub const MAX_BUNDLE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("bundle file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("this is not a Banshi bundle, or it is damaged")]
    NotABundle,
    #[error("the bundle was changed after it was made (its signature does not match)")]
    BadSignature,
    #[error("wrong passphrase, or the bundle was damaged")]
    WrongPassphrase,
    #[error("the bundle is larger than {0} bytes")]
    TooLarge(u64),
    #[error(transparent)]
    Store(#[from] banshi_store::StoreError),
    #[error("a record in the bundle is damaged: {0}")]
    BadRecord(String),
    #[error("the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters")]
    WeakPassphrase,
}

impl banshi_core::ErrorCode for BundleError {
    fn code(&self) -> &'static str {
        match self {
            BundleError::Io { .. } => "bundle.io",
            BundleError::NotABundle => "bundle.not_a_bundle",
            BundleError::BadSignature => "bundle.bad_signature",
            BundleError::WrongPassphrase => "bundle.wrong_passphrase",
            BundleError::TooLarge(_) => "bundle.too_large",
            BundleError::Store(e) => e.code(),
            BundleError::BadRecord(_) => "bundle.bad_record",
            BundleError::WeakPassphrase => "bundle.weak_passphrase",
        }
    }
}

/// What a bundle holds, readable without the passphrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleHeader {
    pub terminal_id: String,
    /// SM2 public key of the exporting terminal (hex SEC1).
    pub public_key: String,
    pub created_at_ms: i64,
    pub records: usize,
    pub blobs: usize,
    /// PBKDF2 salt, hex.
    pub salt: String,
    pub kdf: String,
    pub iterations: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct EntryMeta {
    kind: String,
    id: String,
    scope: String,
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub header: Option<BundleHeader>,
    /// Records that brought something new.
    pub records_changed: usize,
    pub records_unchanged: usize,
    pub blobs_added: usize,
}

fn derive_key(passphrase: &str, salt: &[u8], iterations: u32) -> DataKey {
    let mut key = [0u8; 16];
    pbkdf2::pbkdf2_hmac::<sm3::Sm3>(passphrase.as_bytes(), salt, iterations, &mut key);
    DataKey::from_bytes(key)
}

fn entry(out: &mut Vec<u8>, meta: &EntryMeta, bytes: &[u8]) {
    let meta = serde_json::to_vec(meta).unwrap_or_default();
    out.extend_from_slice(&(meta.len() as u32).to_be_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Write every record and blob not yet synced from `store` into a bundle at `path`.
pub fn export(
    store: &Store,
    key: &SigningKeyPair,
    terminal_id: &str,
    now_ms: i64,
    passphrase: &str,
    path: &Path,
) -> Result<BundleHeader, BundleError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(BundleError::WeakPassphrase);
    }
    let mut payload = Vec::new();
    let pending = store.pending()?;
    for id in &pending {
        let Some(mut doc) = store.load_doc(id)? else {
            continue;
        };
        let scope = store.meta(id)?.map(|m| m.scope).unwrap_or_default();
        entry(
            &mut payload,
            &EntryMeta {
                kind: "doc".into(),
                id: id.clone(),
                scope,
            },
            &doc.save(),
        );
    }
    let blobs: Vec<_> = store
        .blobs()?
        .into_iter()
        .filter(|b| b.state != BlobState::Synced)
        .collect();
    for blob in &blobs {
        entry(
            &mut payload,
            &EntryMeta {
                kind: "blob".into(),
                id: blob.sm3.clone(),
                scope: blob.scope.clone(),
            },
            &store.read_blob(&blob.sm3)?,
        );
    }
    let salt: [u8; 16] = banshi_crypto::random_bytes().map_err(|_| BundleError::NotABundle)?;
    let header = BundleHeader {
        terminal_id: terminal_id.to_string(),
        public_key: key.public_key_hex(),
        created_at_ms: now_ms,
        records: pending.len(),
        blobs: blobs.len(),
        salt: hex::encode(salt),
        kdf: "pbkdf2-hmac-sm3".into(),
        iterations: KDF_ITERATIONS,
    };
    let header_json = serde_json::to_vec(&header).unwrap_or_default();
    let sealed = banshi_crypto::seal(
        &derive_key(passphrase, &salt, KDF_ITERATIONS),
        &payload,
        &header_json,
    )
    .map_err(|_| BundleError::NotABundle)?;

    let mut file = Vec::with_capacity(sealed.len() + header_json.len() + 256);
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(&(header_json.len() as u32).to_be_bytes());
    file.extend_from_slice(&header_json);
    file.extend_from_slice(&(sealed.len() as u64).to_be_bytes());
    file.extend_from_slice(&sealed);
    let signature = key.sign_hex(&file);
    file.extend_from_slice(&(signature.len() as u16).to_be_bytes());
    file.extend_from_slice(signature.as_bytes());

    let io = |source| BundleError::Io {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension("partial");
    let mut out = std::fs::File::create(&tmp).map_err(io)?;
    out.write_all(&file).map_err(io)?;
    out.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(header)
}

/// Read a bundle's header and check its signature, without the passphrase.
fn read(path: &Path) -> Result<(BundleHeader, Vec<u8>, Vec<u8>), BundleError> {
    let io = |source| BundleError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > MAX_BUNDLE_BYTES {
        return Err(BundleError::TooLarge(MAX_BUNDLE_BYTES));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_BUNDLE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(io)?;

    let mut cursor = Cursor {
        bytes: &bytes,
        at: 0,
    };
    if cursor.take(MAGIC.len())? != MAGIC {
        return Err(BundleError::NotABundle);
    }
    let header_len = u32::from_be_bytes(cursor.array()?) as usize;
    let header_json = cursor.take(header_len)?.to_vec();
    let sealed_len = u64::from_be_bytes(cursor.array()?) as usize;
    let sealed = cursor.take(sealed_len)?.to_vec();
    let signed_len = cursor.at;
    let sig_len = u16::from_be_bytes(cursor.array()?) as usize;
    let signature =
        std::str::from_utf8(cursor.take(sig_len)?).map_err(|_| BundleError::NotABundle)?;
    let header: BundleHeader =
        serde_json::from_slice(&header_json).map_err(|_| BundleError::NotABundle)?;
    banshi_crypto::verify(&header.public_key, &bytes[..signed_len], signature)
        .map_err(|_| BundleError::BadSignature)?;
    Ok((header, header_json, sealed))
}

/// Import the bundle at `path` into `store`.
pub fn import(store: &Store, passphrase: &str, path: &Path) -> Result<ImportReport, BundleError> {
    let (header, header_json, sealed) = read(path)?;
    let salt = hex::decode(&header.salt).map_err(|_| BundleError::NotABundle)?;
    let iterations = header.iterations.clamp(1, 10_000_000);
    let payload = banshi_crypto::open(
        &derive_key(passphrase, &salt, iterations),
        &sealed,
        &header_json,
    )
    .map_err(|_| BundleError::WrongPassphrase)?;
    let mut report = ImportReport::default();
    let mut cursor = Cursor {
        bytes: &payload,
        at: 0,
    };
    while cursor.at < payload.len() {
        let meta_len = u32::from_be_bytes(cursor.array()?) as usize;
        let meta: EntryMeta =
            serde_json::from_slice(cursor.take(meta_len)?).map_err(|_| BundleError::NotABundle)?;
        let len = u64::from_be_bytes(cursor.array()?) as usize;
        let bytes = cursor.take(len)?;
        match meta.kind.as_str() {
            "doc" => {
                let mut doc = automerge::AutoCommit::load(bytes)
                    .map_err(|e| BundleError::BadRecord(format!("{}: {e}", meta.id)))?;
                if store.import_doc(&mut doc)? {
                    report.records_changed += 1;
                } else {
                    report.records_unchanged += 1;
                }
            }
            "blob" => {
                let known = store.blob(&meta.id, &meta.scope)?.is_some();
                let added = store.add_blob_bytes(&meta.scope, bytes)?;
                if added.sm3 != meta.id {
                    return Err(BundleError::BadRecord(format!(
                        "blob {} does not match its hash",
                        meta.id
                    )));
                }
                if !known {
                    report.blobs_added += 1;
                }
            }
            _ => return Err(BundleError::NotABundle),
        }
    }
    report.header = Some(header);
    Ok(report)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BundleError> {
        let end = self.at.checked_add(n).ok_or(BundleError::NotABundle)?;
        let slice = self
            .bytes
            .get(self.at..end)
            .ok_or(BundleError::NotABundle)?;
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], BundleError> {
        self.take(N)?
            .try_into()
            .map_err(|_| BundleError::NotABundle)
    }
}
