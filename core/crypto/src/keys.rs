//! SM2 key pairs and signatures in the forms Banshi stores and sends.

use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};
use sm2::elliptic_curve::Generate;
use sm2::SecretKey;

use crate::{CryptoError, SM2_DEFAULT_ID};

/// An SM2 key pair with the default user identity.
pub struct SigningKeyPair {
    key: SigningKey,
}

impl std::fmt::Debug for SigningKeyPair {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyPair")
            .field("public_key", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}

impl SigningKeyPair {
    /// A fresh key pair from the operating system's random source.
    pub fn generate() -> Result<Self, CryptoError> {
        let secret = SecretKey::try_generate().map_err(|e| CryptoError::Random(e.to_string()))?;
        let key = SigningKey::new(SM2_DEFAULT_ID, &secret).map_err(|_| CryptoError::BadKey)?;
        Ok(Self { key })
    }

    /// Restore a key pair from its 32-byte secret scalar.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let key = SigningKey::from_slice(SM2_DEFAULT_ID, bytes).map_err(|_| CryptoError::BadKey)?;
        Ok(Self { key })
    }

    /// The 32-byte secret scalar, for storing the key (the caller protects it).
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.key.to_bytes().into()
    }

    /// The public key as lower-case hex of its SEC1 uncompressed encoding (`04‖x‖y`, 130 characters).
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_sec1_bytes())
    }

    /// Sign `message` (SM3 with the user-identity hash Z, per GM/T 0003); hex of the 64-byte `r‖s`.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        let signature: Signature = self.key.sign(message);
        hex::encode(signature.to_bytes())
    }
}

/// Check that `public_key_hex` is a valid SM2 public key (a point on the curve, hex SEC1).
pub fn check_public_key(public_key_hex: &str) -> Result<(), CryptoError> {
    let public = hex::decode(public_key_hex).map_err(|_| CryptoError::BadKey)?;
    VerifyingKey::from_sec1_bytes(SM2_DEFAULT_ID, &public).map_err(|_| CryptoError::BadKey)?;
    Ok(())
}

/// Check a hex `r‖s` signature of `message` against a hex SEC1 public key.
pub fn verify(
    public_key_hex: &str,
    message: &[u8],
    signature_hex: &str,
) -> Result<(), CryptoError> {
    let public = hex::decode(public_key_hex).map_err(|_| CryptoError::BadKey)?;
    let key =
        VerifyingKey::from_sec1_bytes(SM2_DEFAULT_ID, &public).map_err(|_| CryptoError::BadKey)?;
    let raw = hex::decode(signature_hex).map_err(|_| CryptoError::BadSignature)?;
    let signature = Signature::try_from(raw.as_slice()).map_err(|_| CryptoError::BadSignature)?;
    key.verify(message, &signature)
        .map_err(|_| CryptoError::SignatureMismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_the_public_key_only() {
        let pair = SigningKeyPair::generate().unwrap();
        let sig = pair.sign_hex(b"hello hall");
        assert_eq!(sig.len(), 128);
        verify(&pair.public_key_hex(), b"hello hall", &sig).unwrap();
    }

    #[test]
    fn a_changed_message_or_key_fails() {
        let pair = SigningKeyPair::generate().unwrap();
        let other = SigningKeyPair::generate().unwrap();
        let sig = pair.sign_hex(b"hello hall");
        assert!(matches!(
            verify(&pair.public_key_hex(), b"hello hall!", &sig),
            Err(CryptoError::SignatureMismatch)
        ));
        assert!(verify(&other.public_key_hex(), b"hello hall", &sig).is_err());
        assert!(matches!(
            verify(&pair.public_key_hex(), b"hello hall", "zz"),
            Err(CryptoError::BadSignature)
        ));
        assert!(matches!(
            verify("04abcd", b"hello hall", &sig),
            Err(CryptoError::BadKey)
        ));
    }

    // GB/T 32918.5-2017 / GM/T 0003.5-2012 appendix A: a signature on the recommended curve with the
    // default identity, as also checked by OpenSSL (openssl/openssl test/sm2_internal_test.c).
    const ANNEX_A_SECRET: &str = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8";
    const ANNEX_A_PUBLIC: &str = concat!(
        "04",
        "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020",
        "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
    );
    const ANNEX_A_MESSAGE: &[u8] = b"message digest";
    const ANNEX_A_SIGNATURE: &str = concat!(
        "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3",
        "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa"
    );

    #[test]
    fn verify_accepts_the_standard_signature_with_the_default_id() {
        verify(ANNEX_A_PUBLIC, ANNEX_A_MESSAGE, ANNEX_A_SIGNATURE).unwrap();
    }

    #[test]
    fn verify_rejects_the_standard_signature_with_one_bit_changed() {
        let mut raw = hex::decode(ANNEX_A_SIGNATURE).unwrap();
        for (byte, bit) in [(0, 0x01), (31, 0x80), (32, 0x01), (63, 0x80)] {
            raw[byte] ^= bit;
            assert!(
                verify(ANNEX_A_PUBLIC, ANNEX_A_MESSAGE, &hex::encode(&raw)).is_err(),
                "flipped byte {byte}"
            );
            raw[byte] ^= bit;
        }
        assert!(matches!(
            verify(ANNEX_A_PUBLIC, b"message digesu", ANNEX_A_SIGNATURE),
            Err(CryptoError::SignatureMismatch)
        ));
    }

    #[test]
    fn the_standard_secret_gives_the_standard_public_key() {
        let pair =
            SigningKeyPair::from_secret_bytes(&hex::decode(ANNEX_A_SECRET).unwrap()).unwrap();
        assert_eq!(pair.public_key_hex(), ANNEX_A_PUBLIC);
        let sig = pair.sign_hex(ANNEX_A_MESSAGE);
        verify(ANNEX_A_PUBLIC, ANNEX_A_MESSAGE, &sig).unwrap();
    }

    #[test]
    fn the_secret_round_trips() {
        let pair = SigningKeyPair::generate().unwrap();
        let again = SigningKeyPair::from_secret_bytes(&pair.secret_bytes()).unwrap();
        assert_eq!(pair.public_key_hex(), again.public_key_hex());
        assert!(SigningKeyPair::from_secret_bytes(&[0u8; 32]).is_err());
        assert!(!format!("{pair:?}").contains(&hex::encode(pair.secret_bytes())));
    }
}
