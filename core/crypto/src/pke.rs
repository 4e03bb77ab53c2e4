//! SM2 public-key encryption (GB/T 32918.4 / GM/T 0003.4), for short secrets sent to one holder.
//!
//! SM4-GCM ([`crate::seal`]) needs a shared key; SM2 encryption lets anyone holding a public key hand its
//! owner such a key (or another short secret) without one. The ciphertext layout is `C1 ‖ C3 ‖ C2` — the
//! order of the 2016 national standard, which interoperating implementations expect today: `C1` is the
//! ephemeral point as SEC1 uncompressed (`04 ‖ x ‖ y`, 65 bytes), `C3` the 32-byte SM3 check value, `C2`
//! the masked plaintext (as long as the plaintext). The older `C1 ‖ C2 ‖ C3` order is never produced or
//! accepted, so a value cannot be read in the wrong order by mistake.

use sm2::elliptic_curve::common::getrandom::SysRng;
use sm2::pke::{DecryptingKey, EncryptingKey, Mode};
use sm2::PublicKey;

use crate::CryptoError;

/// Bytes an SM2 ciphertext is longer than its plaintext: `C1` (65) and `C3` (32).
pub const SM2_ENCRYPT_OVERHEAD: usize = 65 + 32;

/// Encrypt `plaintext` (at least one byte) to the hex SEC1 public key; returns `C1 ‖ C3 ‖ C2`.
pub fn sm2_encrypt(public_key_hex: &str, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if plaintext.is_empty() {
        return Err(CryptoError::EmptyPlaintext);
    }
    let public = hex::decode(public_key_hex).map_err(|_| CryptoError::BadKey)?;
    let public = PublicKey::from_sec1_bytes(&public).map_err(|_| CryptoError::BadKey)?;
    // The crate's default is C1C3C2 too; naming it keeps the layout fixed should that default move.
    let key = EncryptingKey::new_with_mode(public, Mode::C1C3C2);
    // With a valid key and a non-empty plaintext the only remaining failure is the random source.
    key.encrypt(&mut SysRng, plaintext)
        .map_err(|_| CryptoError::Random("SM2 encryption could not draw its nonce".to_owned()))
}

/// Decrypt a `C1 ‖ C3 ‖ C2` ciphertext with the 32-byte secret scalar of the recipient.
pub fn sm2_decrypt(secret_key: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if ciphertext.len() <= SM2_ENCRYPT_OVERHEAD {
        return Err(CryptoError::Truncated);
    }
    let scalar = sm2::NonZeroScalar::try_from(secret_key).map_err(|_| CryptoError::BadKey)?;
    let key = DecryptingKey::new_with_mode(scalar, Mode::C1C3C2);
    key.decrypt(ciphertext).map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKeyPair;

    // GB/T 32918.5-2017 / GM/T 0003.5-2012 annex C: encryption on the recommended curve, as also checked
    // by OpenSSL (openssl/openssl test/sm2_internal_test.c, there DER-encoded per GM/T 0009).
    const ANNEX_C_SECRET: &str = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8";
    const ANNEX_C_PLAINTEXT: &[u8] = b"encryption standard";
    const ANNEX_C_C1C3C2: &str = concat!(
        "04",
        "04ebfc718e8d1798620432268e77feb6415e2ede0e073c0f4f640ecd2e149a73",
        "e858f9d81e5430a57b36daab8f950a3c64e6ee6a63094d99283aff767e124df0",
        "59983c18f809e262923c53aec295d30383b54e39d609d160afcb1908d0bd8766",
        "21886ca989ca9c7d58087307ca93092d651efa"
    );

    fn annex_c_secret() -> Vec<u8> {
        hex::decode(ANNEX_C_SECRET).unwrap()
    }

    #[test]
    fn decrypt_reads_the_standard_c1c3c2_ciphertext() {
        let ciphertext = hex::decode(ANNEX_C_C1C3C2).unwrap();
        assert_eq!(
            sm2_decrypt(&annex_c_secret(), &ciphertext).unwrap(),
            ANNEX_C_PLAINTEXT
        );
    }

    #[test]
    fn decrypt_rejects_the_standard_ciphertext_altered_or_in_c1c2c3_order() {
        let ciphertext = hex::decode(ANNEX_C_C1C3C2).unwrap();
        let mut altered = ciphertext.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(matches!(
            sm2_decrypt(&annex_c_secret(), &altered),
            Err(CryptoError::Decrypt)
        ));
        let (c1, rest) = ciphertext.split_at(65);
        let (c3, c2) = rest.split_at(32);
        let old_order = [c1, c2, c3].concat();
        assert!(sm2_decrypt(&annex_c_secret(), &old_order).is_err());
    }

    #[test]
    fn encrypted_data_decrypts_with_the_matching_secret_only() {
        let pair = SigningKeyPair::generate().unwrap();
        let other = SigningKeyPair::generate().unwrap();
        let ciphertext = sm2_encrypt(&pair.public_key_hex(), b"data key 0123456").unwrap();
        assert_eq!(ciphertext.len(), 16 + SM2_ENCRYPT_OVERHEAD);
        assert_eq!(ciphertext[0], 0x04);
        assert_eq!(
            sm2_decrypt(&pair.secret_bytes(), &ciphertext).unwrap(),
            b"data key 0123456"
        );
        assert!(matches!(
            sm2_decrypt(&other.secret_bytes(), &ciphertext),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn bad_inputs_are_named() {
        let pair = SigningKeyPair::generate().unwrap();
        assert!(matches!(
            sm2_encrypt(&pair.public_key_hex(), b""),
            Err(CryptoError::EmptyPlaintext)
        ));
        assert!(matches!(
            sm2_encrypt("04abcd", b"x"),
            Err(CryptoError::BadKey)
        ));
        assert!(matches!(
            sm2_decrypt(&pair.secret_bytes(), &[4u8; SM2_ENCRYPT_OVERHEAD]),
            Err(CryptoError::Truncated)
        ));
        assert!(matches!(
            sm2_decrypt(&[0u8; 32], &hex::decode(ANNEX_C_C1C3C2).unwrap()),
            Err(CryptoError::BadKey)
        ));
    }
}
