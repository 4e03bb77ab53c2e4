//! The evaluator driver against the simulator over a real pty: every test goes through the protocol bytes.

use std::path::Path;
use std::thread::JoinHandle;
use std::time::Duration;

use banshi_core::ErrorCode;
use banshi_evaluator::sim::key_frame;
use banshi_evaluator::{
    CancelToken, Evaluator, EvaluatorConfig, EvaluatorError, EvaluatorSim, EvaluatorStatus, Grade,
    SessionId,
};

/// Generous bounds: these are how long a test waits at most for something that normally takes milliseconds.
const PATIENCE: Duration = Duration::from_secs(20);

fn driver(link: &Path) -> Evaluator {
    Evaluator::new(EvaluatorConfig::new(link))
}

/// Ask for a rating on another thread, returning the driver afterwards for further checks.
fn ask(
    mut evaluator: Evaluator,
    session: u32,
    cancel: CancelToken,
) -> JoinHandle<(Evaluator, Result<Grade, EvaluatorError>)> {
    std::thread::spawn(move || {
        let result = evaluator.request_rating(SessionId(session), PATIENCE, &cancel);
        (evaluator, result)
    })
}

#[test]
fn a_rating_round_trip_lights_the_prompt_and_returns_the_pressed_grade() {
    let dir = tempfile::tempdir().unwrap();
    let sim = EvaluatorSim::start(dir.path().join("evaluator")).unwrap();
    let asking = ask(driver(sim.link()), 42, CancelToken::new());
    assert_eq!(sim.wait_until_armed(PATIENCE), Some(SessionId(42)));
    assert!(sim.stats().light_on);
    assert!(sim.press(Grade::BasicallySatisfied));
    let (mut evaluator, result) = asking.join().unwrap();
    assert_eq!(result, Ok(Grade::BasicallySatisfied));
    let stats = sim.stats();
    assert!(!stats.light_on, "the device goes dark after a press");
    assert_eq!(stats.armed, None);

    // Every grade maps to its key.
    for grade in Grade::ALL {
        let asking = ask(evaluator, u32::from(grade.key()) + 100, CancelToken::new());
        sim.wait_until_armed(PATIENCE).unwrap();
        assert!(sim.press(grade));
        let (back, result) = asking.join().unwrap();
        assert_eq!(result, Ok(grade));
        evaluator = back;
    }
    evaluator.beep(10).unwrap();
    assert_eq!(sim.stats().beeps, 1);
    assert_eq!(evaluator.probe().status, EvaluatorStatus::Ok);
}

#[test]
fn presses_without_a_prompt_and_late_keys_of_other_sessions_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let sim = EvaluatorSim::start(dir.path().join("evaluator")).unwrap();
    let mut evaluator = driver(sim.link());
    assert_eq!(evaluator.probe().status, EvaluatorStatus::Ok);

    // Nobody asked: the device does not send the key at all.
    assert!(!sim.press(Grade::VeryDissatisfied));
    assert_eq!(sim.stats().ignored_presses, 1);

    let asking = ask(evaluator, 7, CancelToken::new());
    sim.wait_until_armed(PATIENCE).unwrap();
    // A key frame for an earlier session (a press that arrived late) is acknowledged but not taken, and noise on
    // the line does not disturb the exchange.
    sim.inject(&key_frame(SessionId(6), Grade::VeryDissatisfied));
    sim.inject(&[0xff, 0x02, 0x99, 0x03, 0x00, 0x02]);
    assert!(sim.press(Grade::Satisfied));
    let (_, result) = asking.join().unwrap();
    assert_eq!(result, Ok(Grade::Satisfied));
}

#[test]
fn bad_checksums_are_nacked_and_retransmitted_in_both_directions() {
    let dir = tempfile::tempdir().unwrap();
    let sim = EvaluatorSim::start(dir.path().join("evaluator")).unwrap();

    // Host → device: the device NAKs the first LIGHT_ON; the driver sends it again.
    sim.nak_next_commands(1);
    let asking = ask(driver(sim.link()), 9, CancelToken::new());
    assert_eq!(sim.wait_until_armed(PATIENCE), Some(SessionId(9)));
    assert_eq!(sim.stats().naks_to_host, 1);

    // Device → host: the first KEY frame is corrupted; the driver NAKs it and takes the retransmission.
    assert!(sim.press_with_bad_checksum(Grade::Dissatisfied));
    let (mut evaluator, result) = asking.join().unwrap();
    assert_eq!(result, Ok(Grade::Dissatisfied));
    let stats = sim.stats();
    assert!(stats.naks_from_host >= 1, "{stats:?}");
    assert!(stats.key_retransmissions >= 1, "{stats:?}");

    // A device that refuses every attempt is reported as refusing.
    sim.nak_next_commands(100);
    let error = evaluator.beep(1).unwrap_err();
    assert_eq!(error.code(), "evaluator.rejected");
}

#[test]
fn unplug_makes_it_offline_and_replug_recovers_even_during_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let sim = EvaluatorSim::start(dir.path().join("evaluator")).unwrap();
    let mut evaluator = driver(sim.link());
    assert_eq!(evaluator.probe().status, EvaluatorStatus::Ok);

    sim.unplug();
    let health = evaluator.probe();
    assert_eq!(health.status, EvaluatorStatus::Offline);
    assert!(
        health.detail.unwrap().contains("missing"),
        "the detail names the cause"
    );
    let error = evaluator.light_off().unwrap_err();
    assert_eq!(error.code(), "evaluator.offline");

    sim.replug().unwrap();
    assert_eq!(evaluator.probe().status, EvaluatorStatus::Ok);

    // Pulled while the prompt is lit: the driver re-lights it on the new device and still gets the rating.
    let asking = ask(evaluator, 77, CancelToken::new());
    assert_eq!(sim.wait_until_armed(PATIENCE), Some(SessionId(77)));
    sim.unplug();
    sim.replug().unwrap();
    assert_eq!(sim.wait_until_armed(PATIENCE), Some(SessionId(77)));
    assert!(sim.press(Grade::VerySatisfied));
    let (_, result) = asking.join().unwrap();
    assert_eq!(result, Ok(Grade::VerySatisfied));
}

#[test]
fn a_silent_device_is_offline_and_a_stuck_key_degraded() {
    let dir = tempfile::tempdir().unwrap();
    let sim = EvaluatorSim::start(dir.path().join("evaluator")).unwrap();
    let mut evaluator = driver(sim.link());
    sim.set_key_stuck(true);
    let health = evaluator.probe();
    assert_eq!(health.status, EvaluatorStatus::Degraded);
    assert_eq!(health.detail.as_deref(), Some("a key is stuck"));
    sim.set_key_stuck(false);

    sim.set_silent(true);
    assert_eq!(evaluator.probe().status, EvaluatorStatus::Offline);
    assert_eq!(evaluator.beep(1).unwrap_err(), EvaluatorError::NoResponse);
    sim.set_silent(false);
    assert_eq!(evaluator.probe().status, EvaluatorStatus::Ok);
}

#[test]
fn a_request_can_be_cancelled_and_then_turns_the_prompt_off() {
    let dir = tempfile::tempdir().unwrap();
    let sim = EvaluatorSim::start(dir.path().join("evaluator")).unwrap();
    let cancel = CancelToken::new();
    let asking = ask(driver(sim.link()), 5, cancel.clone());
    sim.wait_until_armed(PATIENCE).unwrap();
    cancel.cancel();
    let (_, result) = asking.join().unwrap();
    assert_eq!(result, Err(EvaluatorError::Cancelled));
    let stats = sim.stats();
    assert!(!stats.light_on);
    assert_eq!(stats.armed, None);
}

#[test]
fn a_request_times_out_when_nobody_presses() {
    let dir = tempfile::tempdir().unwrap();
    let sim = EvaluatorSim::start(dir.path().join("evaluator")).unwrap();
    let mut evaluator = driver(sim.link());
    let result =
        evaluator.request_rating(SessionId(3), Duration::from_secs(2), &CancelToken::new());
    assert_eq!(result.unwrap_err().code(), "evaluator.timeout");
    assert!(!sim.stats().light_on);
}
