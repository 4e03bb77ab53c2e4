//! The Chinese commercial cryptography (商用密码) Banshi relies on, in one small crate.
//!
//! 等保 level 3 asks for the GM/T algorithms: SM2 signatures identify terminals and admins, SM3 hashes blobs,
//! audit chains and signed requests, SM4-GCM encrypts exported bundles and personal data at rest, SM2
//! encryption hands a short secret to the holder of a public key. The algorithms come from the RustCrypto
//! `sm2`/`sm3`/`sm4` crates (brief §6); this crate only fixes the choices every caller must make the same
//! way — the SM2 distinguishing identifier, how keys and signatures are written down (lower-case hex, SEC1
//! uncompressed public keys, 64-byte `r‖s` signatures), the GCM nonce size and layout, the SM2 ciphertext
//! order (`C1‖C3‖C2`) — so that a terminal, the server and another implementation agree byte for byte.
//! Staff password and PIN verifiers are PBKDF2-HMAC-SM3 (`password`).

mod keys;
mod password;
mod pke;
mod seal;

pub use keys::{check_public_key, verify, SigningKeyPair};
pub use password::{hash_password, is_verifier, verify_password, PASSWORD_ITERATIONS};
pub use pke::{sm2_decrypt, sm2_encrypt, SM2_ENCRYPT_OVERHEAD};
pub use seal::{open, seal, DataKey, SEAL_OVERHEAD};

use sm3::Digest;

/// The default SM2 user identity of GM/T 0009 (`1234567812345678`), used for every Banshi signature.
pub const SM2_DEFAULT_ID: &str = "1234567812345678";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("not a valid SM2 key")]
    BadKey,
    #[error("not a valid SM2 signature encoding")]
    BadSignature,
    #[error("the SM2 signature does not match")]
    SignatureMismatch,
    #[error("the data could not be decrypted: wrong key, or it was altered")]
    Decrypt,
    #[error("SM2 encryption needs at least one byte of plaintext")]
    EmptyPlaintext,
    #[error("encrypted data is too short to be valid")]
    Truncated,
    #[error("not a valid password verifier")]
    BadVerifier,
    #[error("the system random number generator failed: {0}")]
    Random(String),
}

/// SM3 digest of `data`.
pub fn sm3(data: &[u8]) -> [u8; 32] {
    sm3::Sm3::digest(data).into()
}

/// SM3 digest of `data` as lower-case hex (how hashes appear in URLs, records and logs).
pub fn sm3_hex(data: &[u8]) -> String {
    hex::encode(sm3(data))
}

/// Incremental SM3, for content read in pieces (blobs).
#[derive(Debug, Clone, Default)]
pub struct Sm3Hasher(sm3::Sm3);

impl Sm3Hasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finish_hex(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| CryptoError::Random(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GM/T 0004-2012 appendix A, example 1.
    #[test]
    fn sm3_matches_the_standard_vector_for_abc() {
        assert_eq!(
            sm3_hex(b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    /// GB/T 32905-2016 (GM/T 0004-2012) appendix A, example 2: the 512-bit message "abcd" × 16.
    #[test]
    fn sm3_matches_the_standard_vector_for_a_512_bit_message() {
        assert_eq!(
            sm3_hex(&b"abcd".repeat(16)),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    /// GM/T 0004-2012 appendix A, example 2 (64 bytes), fed in uneven pieces.
    #[test]
    fn incremental_sm3_equals_one_shot() {
        let data = b"abcd".repeat(16);
        let mut h = Sm3Hasher::new();
        for piece in data.chunks(7) {
            h.update(piece);
        }
        assert_eq!(
            h.finish_hex(),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn random_bytes_differ() {
        assert_ne!(random_bytes::<16>().unwrap(), random_bytes::<16>().unwrap());
    }
}
