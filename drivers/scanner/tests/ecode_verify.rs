//! Signed e-codes: issue with a real SM2 key, verify offline against a pool, and refuse every kind of bad code.

use std::sync::{Arc, Mutex};

use banshi_core::{ErrorCode, ManualClock};
use banshi_crypto::SigningKeyPair;
use banshi_scanner::ecode::OnlineCheck;
use banshi_scanner::{
    issue_code, CodePayload, EcodeChecker, EcodeError, KeyPool, OnlineUnavailable, OnlineVerdict,
    OnlineVerifier, PoolKey, VerifiedCode,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-24 10:00 UTC);

fn pool_key(
    key_id: &str,
    pair: &SigningKeyPair,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> PoolKey {
    PoolKey {
        key_id: key_id.into(),
        public_key: pair.public_key_hex(),
        not_before: from,
        not_after: to,
    }
}

fn payload(issued: OffsetDateTime, valid_for: Duration) -> CodePayload {
    CodePayload {
        subject_id: "110101199003071234".into(),
        issued_at: issued,
        expires_at: issued + valid_for,
    }
}

struct Issuer {
    pair: SigningKeyPair,
    pool: KeyPool,
}

fn issuer() -> Issuer {
    let pair = SigningKeyPair::generate().unwrap();
    let mut pool = KeyPool::new();
    pool.insert(pool_key(
        "k2026a",
        &pair,
        NOW - Duration::days(30),
        NOW + Duration::days(30),
    ))
    .unwrap();
    Issuer { pair, pool }
}

fn code(issuer: &Issuer) -> String {
    issue_code(
        "k2026a",
        &issuer.pair,
        &payload(NOW - Duration::minutes(1), Duration::minutes(10)),
    )
    .unwrap()
}

#[test]
fn a_valid_code_verifies_and_reports_its_payload() {
    let issuer = issuer();
    let verified = issuer.pool.verify(&code(&issuer), NOW).unwrap();
    assert_eq!(verified.key_id, "k2026a");
    assert_eq!(verified.payload.subject_id, "110101199003071234");
    assert_eq!(verified.payload.expires_at, NOW + Duration::minutes(9));
    assert_eq!(verified.online, OnlineCheck::NotChecked);
    // Scanners may append whitespace.
    assert!(issuer
        .pool
        .verify(&format!("{}\r\n", code(&issuer)), NOW)
        .is_ok());
    assert!(!format!("{verified:?}").contains("199003071234"));
}

#[test]
fn a_tampered_payload_fails_the_signature() {
    let issuer = issuer();
    let code = code(&issuer);
    let parts: Vec<&str> = code.split('.').collect();
    // Same key and signature, payload re-encoded with a later expiry and another subject.
    let forged_json = format!(
        r#"{{"sub":"110101199003079999","iat":{},"exp":{}}}"#,
        (NOW - Duration::minutes(1)).unix_timestamp(),
        (NOW + Duration::days(365)).unix_timestamp()
    );
    let forged = format!(
        "{}.{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(forged_json),
        parts[3]
    );
    let error = issuer.pool.verify(&forged, NOW).unwrap_err();
    assert_eq!(error, EcodeError::BadSignature);
    assert_eq!(error.code(), "ecode.bad_signature");
    // A flipped signature digit fails too.
    let mut flipped = code.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    assert_eq!(
        issuer.pool.verify(&flipped, NOW),
        Err(EcodeError::BadSignature)
    );
}

#[test]
fn a_code_signed_by_another_key_under_a_known_id_fails() {
    let issuer = issuer();
    let stranger = SigningKeyPair::generate().unwrap();
    let code = issue_code("k2026a", &stranger, &payload(NOW, Duration::minutes(10))).unwrap();
    assert_eq!(
        issuer.pool.verify(&code, NOW),
        Err(EcodeError::BadSignature)
    );
}

#[test]
fn an_unknown_key_id_is_reported_as_such() {
    let issuer = issuer();
    let code = issue_code("k2027x", &issuer.pair, &payload(NOW, Duration::minutes(10))).unwrap();
    let error = issuer.pool.verify(&code, NOW).unwrap_err();
    assert_eq!(error.code(), "ecode.unknown_key");
    assert_eq!(
        error,
        EcodeError::UnknownKey {
            key_id: "k2027x".into()
        }
    );
}

#[test]
fn time_windows_of_codes_are_enforced() {
    let issuer = issuer();
    let expired = issue_code(
        "k2026a",
        &issuer.pair,
        &payload(NOW - Duration::hours(1), Duration::minutes(10)),
    )
    .unwrap();
    assert_eq!(
        issuer.pool.verify(&expired, NOW).unwrap_err().code(),
        "ecode.expired"
    );
    let future = issue_code(
        "k2026a",
        &issuer.pair,
        &payload(NOW + Duration::hours(1), Duration::minutes(10)),
    )
    .unwrap();
    assert_eq!(
        issuer.pool.verify(&future, NOW).unwrap_err().code(),
        "ecode.not_yet_valid"
    );
    // Within the allowed clock skew an issuer slightly ahead of us is fine.
    let slightly_ahead = issue_code(
        "k2026a",
        &issuer.pair,
        &payload(NOW + Duration::seconds(60), Duration::minutes(10)),
    )
    .unwrap();
    assert!(issuer.pool.verify(&slightly_ahead, NOW).is_ok());
    // The expiry instant itself is already expired.
    let code = code(&issuer);
    assert!(issuer
        .pool
        .verify(&code, NOW + Duration::minutes(9))
        .is_err());
}

#[test]
fn rotation_keeps_the_old_key_until_its_not_after() {
    let old = SigningKeyPair::generate().unwrap();
    let new = SigningKeyPair::generate().unwrap();
    let mut pool = KeyPool::new();
    pool.insert(pool_key(
        "k-old",
        &old,
        NOW - Duration::days(60),
        NOW + Duration::days(1),
    ))
    .unwrap();
    pool.insert(pool_key(
        "k-new",
        &new,
        NOW - Duration::days(1),
        NOW + Duration::days(60),
    ))
    .unwrap();

    let by_old = issue_code("k-old", &old, &payload(NOW, Duration::days(5))).unwrap();
    let by_new = issue_code("k-new", &new, &payload(NOW, Duration::days(5))).unwrap();
    assert!(pool.verify(&by_old, NOW).is_ok());
    assert!(pool.verify(&by_new, NOW).is_ok());

    let later = NOW + Duration::days(2);
    let error = pool.verify(&by_old, later).unwrap_err();
    assert_eq!(
        error,
        EcodeError::KeyExpired {
            key_id: "k-old".into()
        }
    );
    assert_eq!(error.code(), "ecode.key_expired");
    assert!(pool.verify(&by_new, later).is_ok());

    // A key announced ahead of its start is held but not yet accepted.
    let next = SigningKeyPair::generate().unwrap();
    pool.insert(pool_key(
        "k-next",
        &next,
        NOW + Duration::days(50),
        NOW + Duration::days(120),
    ))
    .unwrap();
    let by_next = issue_code("k-next", &next, &payload(NOW, Duration::days(5))).unwrap();
    assert_eq!(
        pool.verify(&by_next, NOW).unwrap_err().code(),
        "ecode.key_not_yet_valid"
    );

    assert_eq!(pool.remove_expired(later), 1);
    assert_eq!(
        pool.verify(&by_old, later).unwrap_err().code(),
        "ecode.unknown_key"
    );
}

#[test]
fn the_pool_survives_a_save_and_load_and_refuses_bad_keys() {
    let issuer = issuer();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ecode-keys.json");
    issuer.pool.save(&path).unwrap();
    let loaded = KeyPool::load(&path).unwrap();
    assert_eq!(loaded, issuer.pool);
    assert!(loaded.verify(&code(&issuer), NOW).is_ok());

    let mut pool = KeyPool::new();
    let mut bad = pool_key("k1", &issuer.pair, NOW, NOW + Duration::days(1));
    bad.public_key = format!("04{}", "11".repeat(64));
    assert_eq!(pool.insert(bad).unwrap_err().code(), "ecode.bad_key");
    let backwards = pool_key("k1", &issuer.pair, NOW, NOW - Duration::days(1));
    assert!(pool.insert(backwards).is_err());
    assert!(pool
        .insert(pool_key(
            "bad id!",
            &issuer.pair,
            NOW,
            NOW + Duration::days(1)
        ))
        .is_err());

    std::fs::write(&path, b"{not json").unwrap();
    assert_eq!(KeyPool::load(&path).unwrap_err().code(), "ecode.cache");
    assert_eq!(
        KeyPool::load(&dir.path().join("missing.json"))
            .unwrap_err()
            .code(),
        "ecode.cache"
    );
}

#[test]
fn garbage_is_malformed() {
    let issuer = issuer();
    let sig = "0".repeat(128);
    for garbage in [
        "",
        "hello",
        "https://banshi.example/q?x=1",
        "BSQ1...",
        "BSQ1.k2026a.e30",
        &format!("BSQ1.k2026a.e30.{sig}"),
        &format!("BSQ1.k2026a.eyJzdWIiOiIiLCJpYXQiOjEsImV4cCI6Mn0.{sig}"),
        &format!("BSQ1.k2026a.eyJzdWIiOiJ4IiwiaWF0IjoyLCJleHAiOjF9.{sig}"),
        &format!("BSQ1.k2026a.{}.{sig}", "A".repeat(2000)),
        "BSQ1.k2026a.\u{1F600}.\u{1F600}",
    ] {
        let error = issuer.pool.verify(garbage, NOW).unwrap_err();
        assert_eq!(
            error.code(),
            "ecode.malformed",
            "{garbage:?} gave {error:?}"
        );
    }
}

/// 100 000 inputs (mutations of a valid code, and random text over the code alphabet): the verifier never
/// panics and never accepts anything but the untouched code.
#[test]
fn the_parser_survives_100k_inputs() {
    let issuer = issuer();
    let valid = code(&issuer);
    let alphabet: Vec<char> = "BSQ1.k2026a-_eyJ0123456789abcdefABCDEF=+/ \u{4e2d}"
        .chars()
        .collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut accepted = 0;
    for round in 0..100_000u32 {
        // Every 50th input is a mutation of the valid code; those that keep the shape reach the (slow) SM2 check.
        let input: String = if round % 50 == 0 {
            // Mutate one character of the valid code (or cut it short).
            let mut chars: Vec<char> = valid.chars().collect();
            let at = (next() as usize) % chars.len();
            if next() % 8 == 0 {
                chars.truncate(at);
            } else {
                chars[at] = alphabet[(next() as usize) % alphabet.len()];
            }
            chars.into_iter().collect()
        } else {
            let len = (next() % 300) as usize;
            (0..len)
                .map(|_| alphabet[(next() as usize) % alphabet.len()])
                .collect()
        };
        if let Ok(verified) = issuer.pool.verify(&input, NOW) {
            assert_eq!(input, valid);
            assert_eq!(verified.key_id, "k2026a");
            accepted += 1;
        }
    }
    // Mutations that replace a character by itself leave the code valid; anything else must fail.
    assert!(accepted < 100_000);
}

#[derive(Debug)]
struct FakeOnline(Mutex<Result<OnlineVerdict, OnlineUnavailable>>);

impl OnlineVerifier for FakeOnline {
    fn lookup(&self, _code: &VerifiedCode) -> Result<OnlineVerdict, OnlineUnavailable> {
        self.0.lock().unwrap().clone()
    }
}

#[test]
fn the_checker_uses_the_clock_and_the_online_lookup_when_it_answers() {
    let issuer = issuer();
    let code = code(&issuer);
    let clock = Arc::new(ManualClock::new(NOW));
    let offline = EcodeChecker::new(issuer.pool.clone(), clock.clone());
    assert_eq!(
        offline.check(&code).unwrap().online,
        OnlineCheck::NotChecked
    );
    clock.advance(Duration::hours(1));
    assert_eq!(offline.check(&code).unwrap_err(), EcodeError::Expired);
    clock.set(NOW);

    let confirmed = EcodeChecker::new(issuer.pool.clone(), clock.clone())
        .with_online(Box::new(FakeOnline(Mutex::new(Ok(OnlineVerdict::Valid)))));
    assert_eq!(
        confirmed.check(&code).unwrap().online,
        OnlineCheck::Confirmed
    );

    let revoked = EcodeChecker::new(issuer.pool.clone(), clock.clone())
        .with_online(Box::new(FakeOnline(Mutex::new(Ok(OnlineVerdict::Revoked)))));
    assert_eq!(revoked.check(&code).unwrap_err().code(), "ecode.revoked");

    let unreachable = EcodeChecker::new(issuer.pool.clone(), clock).with_online(Box::new(
        FakeOnline(Mutex::new(Err(OnlineUnavailable("timeout".into())))),
    ));
    assert_eq!(
        unreachable.check(&code).unwrap().online,
        OnlineCheck::NotChecked
    );
}
