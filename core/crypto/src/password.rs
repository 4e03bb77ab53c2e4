//! Password and PIN verifiers: PBKDF2-HMAC-SM3 with a random salt, written as one self-describing string.
//!
//! Staff log in at terminals that may be offline, so each terminal keeps a verifier of every password it must
//! check (brief §3.5, §6). A verifier that leaks must not give the password away cheaply: PBKDF2 makes each
//! guess cost [`PASSWORD_ITERATIONS`] HMAC-SM3 rounds, and the 16-byte random salt stops one table from serving
//! every account. SM3 rather than SHA-2 because 等保 level 3 asks for the GM/T algorithms.
//!
//! The string `pbkdf2-sm3$<iterations>$<salt hex>$<hash hex>` carries its own iteration count, so raising
//! [`PASSWORD_ITERATIONS`] later leaves old verifiers valid. Comparison is constant-time (`subtle`), so the
//! time a check takes says nothing about how many leading bytes matched.

use subtle::ConstantTimeEq;

use crate::{random_bytes, CryptoError};

/// Iterations for new verifiers: one verification took 149 ms in a release build on the 2-core development
/// machine (`crypto_bench`, docs/benchmarks.md) — slow for a guesser, still unnoticed at a login.
pub const PASSWORD_ITERATIONS: u32 = 300_000;

const SCHEME: &str = "pbkdf2-sm3";
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;
/// Verifiers come from records other terminals wrote; an absurd count would let one record stall every login.
const MAX_ITERATIONS: u32 = 10_000_000;

/// Derives a new verifier of `secret` with a fresh random salt.
///
/// `iterations` must be between 1 and 10 000 000 (`CryptoError::BadVerifier` otherwise); use
/// [`PASSWORD_ITERATIONS`] outside tests.
pub fn hash_password(secret: &str, iterations: u32) -> Result<String, CryptoError> {
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(CryptoError::BadVerifier);
    }
    let salt = random_bytes::<SALT_LEN>()?;
    let hash = derive(secret, &salt, iterations);
    Ok(format!(
        "{SCHEME}${iterations}${}${}",
        hex::encode(salt),
        hex::encode(hash)
    ))
}

/// Whether `secret` matches the verifier `encoded`. A wrong secret is `Ok(false)`; a verifier that is not a
/// well-formed `pbkdf2-sm3$…` string is `CryptoError::BadVerifier`.
pub fn verify_password(secret: &str, encoded: &str) -> Result<bool, CryptoError> {
    let (iterations, salt, expected) = parse(encoded).ok_or(CryptoError::BadVerifier)?;
    let actual = derive(secret, &salt, iterations);
    Ok(bool::from(actual.ct_eq(&expected)))
}

/// Whether `encoded` is a well-formed verifier this module can check, without the cost of checking a secret
/// against it. Profiles use it to refuse a malformed admin PIN verifier when they are loaded rather than when
/// someone first types the PIN.
pub fn is_verifier(encoded: &str) -> bool {
    parse(encoded).is_some()
}

fn derive(secret: &str, salt: &[u8], iterations: u32) -> [u8; HASH_LEN] {
    pbkdf2::pbkdf2_hmac_array::<sm3::Sm3, HASH_LEN>(secret.as_bytes(), salt, iterations)
}

fn parse(encoded: &str) -> Option<(u32, [u8; SALT_LEN], [u8; HASH_LEN])> {
    let mut parts = encoded.split('$');
    let (scheme, iterations, salt, hash) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if scheme != SCHEME || parts.next().is_some() {
        return None;
    }
    // Only plain decimal digits: `u32::from_str` would also take a leading `+`.
    if iterations.is_empty() || !iterations.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let iterations: u32 = iterations.parse().ok()?;
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return None;
    }
    let mut salt_bytes = [0u8; SALT_LEN];
    hex::decode_to_slice(salt, &mut salt_bytes).ok()?;
    let mut hash_bytes = [0u8; HASH_LEN];
    hex::decode_to_slice(hash, &mut hash_bytes).ok()?;
    Some((iterations, salt_bytes, hash_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small enough that debug builds stay fast; the scheme is the same at any count.
    const TEST_ITERATIONS: u32 = 1000;

    #[test]
    fn a_verifier_accepts_its_own_password() {
        let encoded = hash_password("Correct horse 42", TEST_ITERATIONS).unwrap();
        assert!(is_verifier(&encoded));
        assert!(verify_password("Correct horse 42", &encoded).unwrap());
    }

    #[test]
    fn a_wrong_password_is_false_not_an_error() {
        let encoded = hash_password("Correct horse 42", TEST_ITERATIONS).unwrap();
        assert!(!verify_password("correct horse 42", &encoded).unwrap());
        assert!(!verify_password("", &encoded).unwrap());
    }

    #[test]
    fn the_verifier_is_self_describing_with_a_fresh_salt() {
        let a = hash_password("same", TEST_ITERATIONS).unwrap();
        let b = hash_password("same", TEST_ITERATIONS).unwrap();
        let parts: Vec<&str> = a.split('$').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0], "pbkdf2-sm3");
        assert_eq!(parts[1], "1000");
        assert_eq!(parts[2].len(), 32);
        assert_eq!(parts[3].len(), 64);
        assert_ne!(a, b, "each verifier has its own salt");
    }

    /// Computed independently with Python's hashlib (OpenSSL 3's SM3):
    /// `hashlib.pbkdf2_hmac('sm3', b'password', bytes.fromhex('000102030405060708090a0b0c0d0e0f'), 1000, 32)`.
    #[test]
    fn matches_an_independent_pbkdf2_hmac_sm3_vector() {
        let encoded = "pbkdf2-sm3$1000$000102030405060708090a0b0c0d0e0f$\
                       304c324b5c73584d3af229f224b9c0c2a7e8541ad99e976d46182125f3843f0d";
        assert!(verify_password("password", encoded).unwrap());
        assert_eq!(
            hex::encode(derive(
                "password",
                &hex::decode("000102030405060708090a0b0c0d0e0f").unwrap(),
                1000
            )),
            "304c324b5c73584d3af229f224b9c0c2a7e8541ad99e976d46182125f3843f0d"
        );
    }

    #[test]
    fn malformed_verifiers_are_errors_not_panics() {
        let salt = "000102030405060708090a0b0c0d0e0f";
        let hash = "304c324b5c73584d3af229f224b9c0c2a7e8541ad99e976d46182125f3843f0d";
        let bad = [
            String::new(),
            "pbkdf2-sm3".to_string(),
            format!("pbkdf2-sha256$1000${salt}${hash}"),
            format!("pbkdf2-sm3$${salt}${hash}"),
            format!("pbkdf2-sm3$+1000${salt}${hash}"),
            format!("pbkdf2-sm3$-1${salt}${hash}"),
            format!("pbkdf2-sm3$0${salt}${hash}"),
            format!("pbkdf2-sm3$99999999999${salt}${hash}"),
            format!("pbkdf2-sm3$20000000${salt}${hash}"),
            format!("pbkdf2-sm3$1000$00${hash}"),
            format!("pbkdf2-sm3$1000${salt}$zz"),
            format!("pbkdf2-sm3$1000${salt}${}", &hash[..62]),
            format!("pbkdf2-sm3$1000${salt}${hash}$extra"),
            "pbkdf2-sm3$1000$é$é".to_string(),
        ];
        for encoded in &bad {
            assert!(!is_verifier(encoded), "{encoded:?} is not a verifier");
            assert!(
                matches!(
                    verify_password("password", encoded),
                    Err(CryptoError::BadVerifier)
                ),
                "{encoded:?} should be rejected"
            );
        }
    }

    #[test]
    fn iteration_counts_out_of_range_are_refused() {
        assert!(matches!(
            hash_password("x", 0),
            Err(CryptoError::BadVerifier)
        ));
        assert!(matches!(
            hash_password("x", MAX_ITERATIONS + 1),
            Err(CryptoError::BadVerifier)
        ));
    }
}
