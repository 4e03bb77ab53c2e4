//! SM4-GCM authenticated encryption with the nonce carried in front of the ciphertext.
//!
//! Layout of a sealed value: `nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`. Nonces are random; with at
//! most billions of seals per key the collision risk stays negligible, and keys are rotated long before.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{AesGcm, Nonce};

use crate::{random_bytes, CryptoError};

type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Bytes a sealed value is longer than its plaintext.
pub const SEAL_OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// A 128-bit SM4 key.
#[derive(Clone)]
pub struct DataKey([u8; 16]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(random_bytes()?))
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub fn bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// Encrypt and authenticate `plaintext`; `aad` is authenticated but not encrypted (bind context with it).
pub fn seal(key: &DataKey, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    seal_with_nonce(key, random_bytes()?, plaintext, aad)
}

/// [`seal`] with the nonce given: the one place the construction is written down, so the published
/// SM4-GCM vectors (which fix the nonce) test exactly what callers get.
fn seal_with_nonce(
    key: &DataKey,
    nonce_bytes: [u8; NONCE_LEN],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let cipher = Sm4Gcm::new_from_slice(&key.0).map_err(|_| CryptoError::BadKey)?;
    let nonce = Nonce::<U12>::from(nonce_bytes);
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Decrypt)?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypt a value made by [`seal`] with the same key and `aad`.
pub fn open(key: &DataKey, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < SEAL_OVERHEAD {
        return Err(CryptoError::Truncated);
    }
    let cipher = Sm4Gcm::new_from_slice(&key.0).map_err(|_| CryptoError::BadKey)?;
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::<U12>::try_from(nonce).map_err(|_| CryptoError::Truncated)?;
    cipher
        .decrypt(&nonce, Payload { msg: body, aad })
        .map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm4::cipher::BlockCipherEncrypt;

    /// GB/T 32907-2016 appendix A, example 1: the block cipher under the GCM mode.
    #[test]
    fn sm4_block_matches_the_standard_vector() {
        let key = hex::decode("0123456789abcdeffedcba9876543210").unwrap();
        let cipher = sm4::Sm4::new_from_slice(&key).unwrap();
        let mut block = sm4::cipher::Array::try_from(key.as_slice()).unwrap();
        cipher.encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
    }

    /// GB/T 32907-2016 appendix A, example 2: the same block encrypted 1,000,000 times with the same key.
    #[test]
    fn sm4_matches_the_standard_million_fold_vector() {
        let key = hex::decode("0123456789abcdeffedcba9876543210").unwrap();
        let cipher = sm4::Sm4::new_from_slice(&key).unwrap();
        let mut block = sm4::cipher::Array::try_from(key.as_slice()).unwrap();
        for _ in 0..1_000_000 {
            cipher.encrypt_block(&mut block);
        }
        assert_eq!(hex::encode(block), "595298c7c6fd271f0402f804c33d3f66");
    }

    // RFC 8998 appendix A.1 (SM4-GCM), https://www.rfc-editor.org/rfc/rfc8998#appendix-A.1
    const RFC8998_KEY: &str = "0123456789ABCDEFFEDCBA9876543210";
    const RFC8998_IV: &str = "00001234567800000000ABCD";
    const RFC8998_AAD: &str = "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2";
    const RFC8998_PLAINTEXT: &str = concat!(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB",
        "CCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD",
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFF",
        "EEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    );
    const RFC8998_CIPHERTEXT: &str = concat!(
        "17F399F08C67D5EE19D0DC9969C4BB7D",
        "5FD46FD3756489069157B282BB200735",
        "D82710CA5C22F0CCFA7CBF93D496AC15",
        "A56834CBCF98C397B4024A2691233B8D"
    );
    const RFC8998_TAG: &str = "83DE3541E4C2B58177E065A9BF7B62EC";

    fn rfc8998_key() -> DataKey {
        DataKey::from_bytes(hex::decode(RFC8998_KEY).unwrap().try_into().unwrap())
    }

    fn rfc8998_sealed() -> Vec<u8> {
        hex::decode([RFC8998_IV, RFC8998_CIPHERTEXT, RFC8998_TAG].concat()).unwrap()
    }

    #[test]
    fn seal_matches_the_rfc8998_sm4_gcm_vector() {
        let nonce: [u8; NONCE_LEN] = hex::decode(RFC8998_IV).unwrap().try_into().unwrap();
        let sealed = seal_with_nonce(
            &rfc8998_key(),
            nonce,
            &hex::decode(RFC8998_PLAINTEXT).unwrap(),
            &hex::decode(RFC8998_AAD).unwrap(),
        )
        .unwrap();
        assert_eq!(sealed, rfc8998_sealed());
    }

    #[test]
    fn open_accepts_the_rfc8998_vector_as_nonce_ciphertext_tag() {
        let aad = hex::decode(RFC8998_AAD).unwrap();
        let opened = open(&rfc8998_key(), &rfc8998_sealed(), &aad).unwrap();
        assert_eq!(opened, hex::decode(RFC8998_PLAINTEXT).unwrap());
        let mut bad_tag = rfc8998_sealed();
        *bad_tag.last_mut().unwrap() ^= 1;
        assert!(matches!(
            open(&rfc8998_key(), &bad_tag, &aad),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn sealed_data_opens_with_the_same_key_and_context_only() {
        let key = DataKey::generate().unwrap();
        let sealed = seal(&key, "张三 110101".as_bytes(), b"bundle").unwrap();
        assert_eq!(sealed.len(), "张三 110101".len() + SEAL_OVERHEAD);
        assert_eq!(
            open(&key, &sealed, b"bundle").unwrap(),
            "张三 110101".as_bytes()
        );
        assert!(matches!(
            open(&key, &sealed, b"other"),
            Err(CryptoError::Decrypt)
        ));
        assert!(open(&DataKey::generate().unwrap(), &sealed, b"bundle").is_err());
        let mut flipped = sealed.clone();
        flipped[NONCE_LEN + 1] ^= 1;
        assert!(open(&key, &flipped, b"bundle").is_err());
        assert!(matches!(
            open(&key, &sealed[..10], b"bundle"),
            Err(CryptoError::Truncated)
        ));
    }
}
