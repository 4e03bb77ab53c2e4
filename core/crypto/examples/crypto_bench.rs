//! Throughput of the GM/T primitives as Banshi calls them, to size terminals and the server (issue 7).
//!
//! Run with `cargo run --release -p banshi-crypto --example crypto_bench`. Timing is plain `Instant` over a
//! fixed number of rounds after one warm-up call; `black_box` keeps the optimiser from dropping the work.

use std::hint::black_box;
use std::time::{Duration, Instant};

use banshi_crypto::{
    hash_password, open, seal, sm3, verify, verify_password, DataKey, SigningKeyPair,
    PASSWORD_ITERATIONS,
};

const MIB: usize = 1 << 20;

/// Average time of `f` over `rounds` calls (after one warm-up call).
fn time_per_call(rounds: u32, mut f: impl FnMut()) -> Duration {
    f();
    let started = Instant::now();
    for _ in 0..rounds {
        f();
    }
    started.elapsed() / rounds
}

fn per_second(per_call: Duration) -> f64 {
    1.0 / per_call.as_secs_f64()
}

fn mib_per_second(per_call: Duration, bytes: usize) -> f64 {
    bytes as f64 / MIB as f64 / per_call.as_secs_f64()
}

#[allow(clippy::print_stdout)] // the benchmark's output is its report
fn main() -> Result<(), banshi_crypto::CryptoError> {
    let pair = SigningKeyPair::generate()?;
    let public = pair.public_key_hex();
    let message = b"POST /api/v1/tickets 2026-05-01T09:00:00+08:00 sm3:66c7f0f4";
    let signature = pair.sign_hex(message);

    let sign = time_per_call(2_000, || {
        black_box(pair.sign_hex(black_box(message)));
    });
    let check = time_per_call(2_000, || {
        black_box(verify(
            black_box(&public),
            black_box(message),
            black_box(&signature),
        ))
        .ok();
    });

    let data = vec![0x5au8; MIB];
    let hash = time_per_call(50, || {
        black_box(sm3(black_box(&data)));
    });

    let key = DataKey::generate()?;
    let sealed = seal(&key, &data, b"bench")?;
    let seal_time = time_per_call(20, || {
        black_box(seal(&key, black_box(&data), b"bench")).ok();
    });
    let open_time = time_per_call(20, || {
        black_box(open(&key, black_box(&sealed), b"bench")).ok();
    });

    let verifier = hash_password("bench password 1", PASSWORD_ITERATIONS)?;
    let password = time_per_call(10, || {
        black_box(verify_password(black_box("bench password 1"), &verifier)).ok();
    });

    println!("SM2 sign:        {:>10.0} signatures/s", per_second(sign));
    println!(
        "SM2 verify:      {:>10.0} verifications/s",
        per_second(check)
    );
    println!("SM3 (1 MiB):     {:>10.1} MiB/s", mib_per_second(hash, MIB));
    println!(
        "SM4-GCM seal:    {:>10.1} MiB/s (1 MiB)",
        mib_per_second(seal_time, MIB)
    );
    println!(
        "SM4-GCM open:    {:>10.1} MiB/s (1 MiB)",
        mib_per_second(open_time, MIB)
    );
    println!(
        "Password verify: {:>10.1} verifications/s ({PASSWORD_ITERATIONS} PBKDF2-HMAC-SM3 iterations, {:.0} ms each)",
        per_second(password),
        password.as_secs_f64() * 1000.0
    );
    Ok(())
}
