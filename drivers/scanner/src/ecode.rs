//! Offline verification of signed QR e-codes (亮码, brief §4.4).
//!
//! A citizen shows a code issued by a government app (a residence, health or service code). The hall must accept it
//! when the network is down, so the code carries its own proof: an SM2 signature by the issuer, checked against a
//! locally cached pool of the issuer's public keys. The issuer rotates its signing keys; the pool holds each key
//! with a validity window, and the terminal refreshes the pool whenever it is online (the sync layer hands new keys
//! to [`KeyPool::insert`] and calls [`KeyPool::save`]).
//!
//! # The code format (`BSQ1`)
//!
//! Real issuers each have their own format; this is Banshi's, used by our own issuing service and by tests, and it
//! is the adapter point for others. A code is one line of URL-safe ASCII (it fits a version-10 QR at level M):
//!
//! ```text
//! BSQ1.<key-id>.<payload>.<signature>
//! ```
//!
//! * `BSQ1`: format and version.
//! * `key-id`: 1–32 characters `[A-Za-z0-9_-]`, names the pool key that signed the code.
//! * `payload`: base64url without padding of a UTF-8 JSON object (at most 512 bytes decoded):
//!   `{"sub":"<subject id>","iat":<issued-at, Unix seconds>,"exp":<expiry, Unix seconds>}`. Unknown members are
//!   ignored (issuers may add some); `sub` is 1–64 characters and `exp` must be later than `iat`.
//! * `signature`: 128 lower-case hex characters, the SM2 signature (`r‖s`, default user id
//!   `1234567812345678`, see `banshi-crypto`) of the ASCII text `BSQ1.<key-id>.<payload>` — the text as
//!   written, so no JSON canonicalisation is needed to check it.
//!
//! # Checks, in order, and their error codes
//!
//! 1. the text has that shape → otherwise `ecode.malformed`;
//! 2. the key id is in the pool → `ecode.unknown_key`;
//! 3. the signature verifies with that key → `ecode.bad_signature`;
//! 4. the key's window contains now: old keys stay accepted until their `not_after` → `ecode.key_expired`
//!    (`ecode.key_not_yet_valid` before `not_before`);
//! 5. `iat` is not in the future (allowing [`CLOCK_SKEW`] between the issuer's clock and ours) →
//!    `ecode.not_yet_valid`;
//! 6. now is before `exp` → `ecode.expired`.
//!
//! When a [`OnlineVerifier`] is configured and reachable, [`EcodeChecker`] also asks it (revocations reach the hall
//! that way); when it is unreachable the offline verdict stands and the result says so.
//!
//! The subject id is personal data (often an ID number): it is never logged, and [`VerifiedCode`]'s `Debug` masks
//! it. Error messages never contain any part of the code except the key id.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use banshi_core::mask::mask_id_number;
use banshi_core::{Clock, ErrorCode};
use banshi_crypto::SigningKeyPair;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Format tag and version.
pub const CODE_PREFIX: &str = "BSQ1";
/// Longest code text accepted; anything longer is refused before any work is done.
pub const MAX_CODE_LEN: usize = 1024;
const MAX_PAYLOAD_BYTES: usize = 512;
const MAX_KEY_ID_LEN: usize = 32;
const MAX_SUBJECT_CHARS: usize = 64;
const SIGNATURE_HEX_LEN: usize = 128;
/// How far an issuer's clock may be ahead of ours before a code counts as "not yet valid".
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(2);

/// Why a code was refused, or the pool could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcodeError {
    /// Not a `BSQ1` code, or a part of it is not what the format says.
    #[error("not a valid e-code: {reason}")]
    Malformed {
        /// Which part is wrong (never the content).
        reason: &'static str,
    },
    /// Signed by a key the local pool does not hold (rotated in since the last refresh, or not ours).
    #[error("the e-code was signed by an unknown key `{key_id}`")]
    UnknownKey {
        /// The code's key id.
        key_id: String,
    },
    /// The signature does not match the code's text under the named key: forged or altered.
    #[error("the e-code's signature does not verify")]
    BadSignature,
    /// The signing key is past its `not_after`.
    #[error("the e-code's signing key `{key_id}` has expired")]
    KeyExpired {
        /// The code's key id.
        key_id: String,
    },
    /// The signing key is not valid yet.
    #[error("the e-code's signing key `{key_id}` is not valid yet")]
    KeyNotYetValid {
        /// The code's key id.
        key_id: String,
    },
    /// Issued in the future (beyond the allowed clock skew).
    #[error("the e-code is not valid yet")]
    NotYetValid,
    /// Past its expiry.
    #[error("the e-code has expired")]
    Expired,
    /// The online service says the code was revoked.
    #[error("the e-code has been revoked")]
    Revoked,
    /// A key offered to the pool is unusable (bad id, not an SM2 point, empty window).
    #[error("key `{key_id}` cannot be used: {reason}")]
    BadKey {
        /// The offered key id.
        key_id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The key cache file could not be read or written.
    #[error("key cache: {detail}")]
    Cache {
        /// Path and cause.
        detail: String,
    },
}

impl ErrorCode for EcodeError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "ecode.malformed",
            Self::UnknownKey { .. } => "ecode.unknown_key",
            Self::BadSignature => "ecode.bad_signature",
            Self::KeyExpired { .. } => "ecode.key_expired",
            Self::KeyNotYetValid { .. } => "ecode.key_not_yet_valid",
            Self::NotYetValid => "ecode.not_yet_valid",
            Self::Expired => "ecode.expired",
            Self::Revoked => "ecode.revoked",
            Self::BadKey { .. } => "ecode.bad_key",
            Self::Cache { .. } => "ecode.cache",
        }
    }
}

fn malformed(reason: &'static str) -> EcodeError {
    EcodeError::Malformed { reason }
}

/// What a code states about its holder.
#[derive(Clone, PartialEq, Eq)]
pub struct CodePayload {
    /// The holder's id (an ID number or an issuer account id). Personal data.
    pub subject_id: String,
    /// When the issuer made the code.
    pub issued_at: OffsetDateTime,
    /// When it stops being valid.
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for CodePayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodePayload")
            .field("subject_id", &mask_id_number(&self.subject_id))
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct WirePayload {
    sub: String,
    iat: i64,
    exp: i64,
}

/// How the online check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnlineCheck {
    /// No online verifier is configured, or it was unreachable: the verdict is the offline one.
    NotChecked,
    /// The online service confirmed the code.
    Confirmed,
}

/// A code that passed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCode {
    /// The pool key that signed it.
    pub key_id: String,
    /// Its content.
    pub payload: CodePayload,
    /// Whether an online service confirmed it too.
    pub online: OnlineCheck,
}

/// One issuer public key with the window in which codes signed by it are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolKey {
    /// The id codes name it by.
    pub key_id: String,
    /// SEC1 uncompressed SM2 public key, lower-case hex (130 characters).
    pub public_key: String,
    /// Start of acceptance.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of acceptance (after rotation the old key is kept until this moment).
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    keys: Vec<PoolKey>,
}

fn valid_key_id(key_id: &str) -> bool {
    !key_id.is_empty()
        && key_id.len() <= MAX_KEY_ID_LEN
        && key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The locally cached public keys of the issuers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPool {
    keys: BTreeMap<String, PoolKey>,
}

impl KeyPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a key, or replace the key with the same id. The key is checked to be a point on the SM2 curve.
    pub fn insert(&mut self, key: PoolKey) -> Result<(), EcodeError> {
        let bad = |reason| EcodeError::BadKey {
            key_id: if valid_key_id(&key.key_id) {
                key.key_id.clone()
            } else {
                "?".into()
            },
            reason,
        };
        if !valid_key_id(&key.key_id) {
            return Err(bad("the key id must be 1-32 characters of A-Z a-z 0-9 _ -"));
        }
        if key.not_after <= key.not_before {
            return Err(bad("not_after must be later than not_before"));
        }
        if banshi_crypto::check_public_key(&key.public_key).is_err() {
            return Err(bad("not an SM2 public key"));
        }
        self.keys.insert(key.key_id.clone(), key);
        Ok(())
    }

    /// Drop keys whose window ended before `now`; returns how many were dropped.
    pub fn remove_expired(&mut self, now: OffsetDateTime) -> usize {
        let before = self.keys.len();
        self.keys.retain(|_, key| key.not_after >= now);
        before - self.keys.len()
    }

    /// The keys, ordered by id.
    pub fn keys(&self) -> impl Iterator<Item = &PoolKey> {
        self.keys.values()
    }

    /// Read a pool from its JSON cache file (`{"keys":[…]}`); every key is checked as by [`KeyPool::insert`].
    pub fn load(path: &Path) -> Result<Self, EcodeError> {
        let cache_error = |detail: String| EcodeError::Cache {
            detail: format!("{}: {detail}", path.display()),
        };
        let text = std::fs::read(path).map_err(|e| cache_error(e.to_string()))?;
        let file: CacheFile =
            serde_json::from_slice(&text).map_err(|e| cache_error(e.to_string()))?;
        let mut pool = Self::new();
        for key in file.keys {
            pool.insert(key)?;
        }
        Ok(pool)
    }

    /// Write the pool to its cache file, atomically (a temporary file renamed over the old one), so a crash
    /// never leaves the terminal without keys.
    pub fn save(&self, path: &Path) -> Result<(), EcodeError> {
        let cache_error = |detail: String| EcodeError::Cache {
            detail: format!("{}: {detail}", path.display()),
        };
        let file = CacheFile {
            keys: self.keys.values().cloned().collect(),
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| cache_error(e.to_string()))?;
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, text).map_err(|e| cache_error(e.to_string()))?;
        std::fs::rename(&temporary, path).map_err(|e| cache_error(e.to_string()))
    }

    /// Verify `code` offline at `now` (see the module docs for the checks and their order).
    pub fn verify(&self, code: &str, now: OffsetDateTime) -> Result<VerifiedCode, EcodeError> {
        let parsed = parse_code(code)?;
        let key = self
            .keys
            .get(parsed.key_id)
            .ok_or_else(|| EcodeError::UnknownKey {
                key_id: parsed.key_id.to_owned(),
            })?;
        banshi_crypto::verify(
            &key.public_key,
            parsed.signed_text.as_bytes(),
            parsed.signature_hex,
        )
        .map_err(|_| EcodeError::BadSignature)?;
        if now > key.not_after {
            return Err(EcodeError::KeyExpired {
                key_id: key.key_id.clone(),
            });
        }
        if now < key.not_before {
            return Err(EcodeError::KeyNotYetValid {
                key_id: key.key_id.clone(),
            });
        }
        let payload = parsed.payload;
        if payload.issued_at > now + CLOCK_SKEW {
            return Err(EcodeError::NotYetValid);
        }
        if now >= payload.expires_at {
            return Err(EcodeError::Expired);
        }
        Ok(VerifiedCode {
            key_id: key.key_id.clone(),
            payload,
            online: OnlineCheck::NotChecked,
        })
    }
}

struct ParsedCode<'a> {
    key_id: &'a str,
    signed_text: &'a str,
    signature_hex: &'a str,
    payload: CodePayload,
}

fn parse_code(code: &str) -> Result<ParsedCode<'_>, EcodeError> {
    // Scanners and cameras may hand over trailing whitespace; nothing else is forgiven.
    let code = code.trim_end();
    if code.len() > MAX_CODE_LEN {
        return Err(malformed("too long"));
    }
    let (signed_text, signature_hex) = code
        .rsplit_once('.')
        .ok_or_else(|| malformed("missing parts"))?;
    let mut parts = signed_text.split('.');
    let (Some(prefix), Some(key_id), Some(payload_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("wrong number of parts"));
    };
    if prefix != CODE_PREFIX {
        return Err(malformed("unknown format tag"));
    }
    if !valid_key_id(key_id) {
        return Err(malformed("bad key id"));
    }
    if signature_hex.len() != SIGNATURE_HEX_LEN
        || !signature_hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(malformed("signature is not 128 lower-case hex characters"));
    }
    if payload_b64.len() > MAX_PAYLOAD_BYTES.div_ceil(3) * 4 {
        return Err(malformed("payload too long"));
    }
    let json = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| malformed("payload is not base64url"))?;
    let wire: WirePayload =
        serde_json::from_slice(&json).map_err(|_| malformed("payload is not the expected JSON"))?;
    let subject_chars = wire.sub.chars().count();
    if subject_chars == 0 || subject_chars > MAX_SUBJECT_CHARS {
        return Err(malformed("subject id length"));
    }
    let issued_at = OffsetDateTime::from_unix_timestamp(wire.iat)
        .map_err(|_| malformed("issued-at out of range"))?;
    let expires_at = OffsetDateTime::from_unix_timestamp(wire.exp)
        .map_err(|_| malformed("expiry out of range"))?;
    if expires_at <= issued_at {
        return Err(malformed("expiry is not after issued-at"));
    }
    Ok(ParsedCode {
        key_id,
        signed_text,
        signature_hex,
        payload: CodePayload {
            subject_id: wire.sub,
            issued_at,
            expires_at,
        },
    })
}

/// Make a `BSQ1` code: for Banshi's issuing service, the demo hall and tests.
pub fn issue_code(
    key_id: &str,
    signer: &SigningKeyPair,
    payload: &CodePayload,
) -> Result<String, EcodeError> {
    if !valid_key_id(key_id) {
        return Err(malformed("bad key id"));
    }
    let wire = WirePayload {
        sub: payload.subject_id.clone(),
        iat: payload.issued_at.unix_timestamp(),
        exp: payload.expires_at.unix_timestamp(),
    };
    let json = serde_json::to_vec(&wire).map_err(|_| malformed("payload cannot be encoded"))?;
    let signed_text = format!("{CODE_PREFIX}.{key_id}.{}", URL_SAFE_NO_PAD.encode(json));
    let signature = signer.sign_hex(signed_text.as_bytes());
    Ok(format!("{signed_text}.{signature}"))
}

/// The online service's answer about a code that passed offline verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnlineVerdict {
    /// The issuer knows the code and it stands.
    Valid,
    /// The issuer revoked it (the holder's status changed after issue).
    Revoked,
}

/// The online service could not be asked (no network, timeout, server error); the offline verdict stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("online e-code lookup unavailable: {0}")]
pub struct OnlineUnavailable(pub String);

/// An issuer's online lookup, provided by the caller when the terminal has one (an HTTP client, a test double).
pub trait OnlineVerifier: Send + Sync + std::fmt::Debug {
    /// Ask about `code` (already verified offline).
    fn lookup(&self, code: &VerifiedCode) -> Result<OnlineVerdict, OnlineUnavailable>;
}

/// A key pool, a clock and an optional online lookup: what the terminal holds to check codes.
#[derive(Debug)]
pub struct EcodeChecker {
    pool: KeyPool,
    clock: Arc<dyn Clock>,
    online: Option<Box<dyn OnlineVerifier>>,
}

impl EcodeChecker {
    /// Offline checking only.
    pub fn new(pool: KeyPool, clock: Arc<dyn Clock>) -> Self {
        Self {
            pool,
            clock,
            online: None,
        }
    }

    /// Also ask `online` about codes that pass offline.
    pub fn with_online(mut self, online: Box<dyn OnlineVerifier>) -> Self {
        self.online = Some(online);
        self
    }

    /// The pool, to add rotated keys.
    pub fn pool_mut(&mut self) -> &mut KeyPool {
        &mut self.pool
    }

    /// Verify offline at the clock's time, then online when possible.
    pub fn check(&self, code: &str) -> Result<VerifiedCode, EcodeError> {
        let mut verified = self.pool.verify(code, self.clock.now())?;
        if let Some(online) = &self.online {
            match online.lookup(&verified) {
                Ok(OnlineVerdict::Valid) => verified.online = OnlineCheck::Confirmed,
                Ok(OnlineVerdict::Revoked) => return Err(EcodeError::Revoked),
                Err(e) => tracing::info!(error = %e, "e-code accepted on the offline verdict"),
            }
        }
        tracing::debug!(key_id = %verified.key_id, "e-code verified");
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_refuses_shapes_before_any_crypto() {
        let sig = "a".repeat(128);
        for (code, reason) in [
            ("", "missing parts"),
            ("BSQ1.k.e30", "wrong number of parts"),
            (&*format!("BSQ2.k.e30.{sig}"), "unknown format tag"),
            (&*format!("BSQ1.k!.e30.{sig}"), "bad key id"),
            (
                "BSQ1.k.e30.ABCD",
                "signature is not 128 lower-case hex characters",
            ),
            (&*format!("BSQ1.k.***.{sig}"), "payload is not base64url"),
            (
                &*format!("BSQ1.k.e30.{sig}"),
                "payload is not the expected JSON",
            ),
        ] {
            assert_eq!(
                parse_code(code).err(),
                Some(EcodeError::Malformed { reason }),
                "{code}"
            );
        }
    }

    #[test]
    fn debug_output_masks_the_subject() {
        let payload = CodePayload {
            subject_id: "110101199003071234".into(),
            issued_at: OffsetDateTime::UNIX_EPOCH,
            expires_at: OffsetDateTime::UNIX_EPOCH,
        };
        let shown = format!("{payload:?}");
        assert!(!shown.contains("110101199003071234"));
        assert!(shown.contains("1101**********1234"));
    }
}
