//! Keypad evaluators (评价器): the five-key box at a service window on which the citizen rates the service.
//!
//! When a case is finished the clerk's terminal lights the evaluator's prompt; the citizen presses one of five keys,
//! 非常满意 / 满意 / 基本满意 / 不满意 / 非常不满意 (brief §3.4, §4.5), and the grade goes into the rating record.
//!
//! No public wire protocol for such devices exists (devices-research §7.1); each vendor has its own. This crate
//! defines **Banshi's own** small framed serial protocol ([`protocol`], documented byte by byte in
//! `docs/evaluator-protocol.md`), the host driver for it ([`Evaluator`]) and a simulator that speaks it on a
//! pseudo-terminal ([`sim::EvaluatorSim`], also as the `banshi-evaluator-sim` binary). A vendor device is supported by
//! an adapter that speaks its protocol behind the same operations: light the prompt for a session, wait for a
//! grade, probe the status.
//!
//! # Design
//!
//! * **Sessions.** The prompt is lit for a session id (the case), and every key frame carries that id back, so a
//!   press that arrives late — after the host gave up on one case and moved on — cannot be taken for the next
//!   case's rating. The device only sends keys while armed; a press without a prompt goes nowhere.
//! * **Reliability.** Every frame carries an XOR checksum; the receiver NAKs a bad one and the sender retransmits.
//!   Commands are acknowledged; key frames too (the device retransmits an unacknowledged key). A garbage byte
//!   costs at most one frame: the parser resynchronises on the next STX.
//! * **Recovery.** The driver drops the port on any I/O error and re-opens the configured path on the next
//!   operation, so unplugging and replugging the USB-serial cable needs no action; a rating request in progress
//!   re-lights the prompt after the reconnect, since the device lost its state.
//! * **Health.** [`Evaluator::probe`] sends a status query: no device or no answer is `offline`, a stuck key is
//!   `degraded`. The device's heartbeat (every second) is part of the protocol so a host can notice a dead device
//!   without asking; the driver accepts it without requiring it.
//!
//! I/O timeouts (acknowledgement, retry pauses) are real-time transport limits measured with `Instant`; no rating
//! logic depends on the wall clock.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod driver;
pub mod error;
pub mod protocol;
pub mod sim;
pub mod sim_cli;

pub use driver::{CancelToken, Evaluator, EvaluatorConfig};
pub use error::EvaluatorError;
pub use protocol::{Grade, SessionId};
pub use sim::{EvaluatorSim, SimStats};

/// The evaluator's state in the words the terminal's device layer uses (`banshi_devices::DeviceStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvaluatorStatus {
    /// Answers and all keys are free.
    Ok,
    /// Answers, but a key is stuck.
    Degraded,
    /// Missing, or does not answer.
    Offline,
}

impl EvaluatorStatus {
    /// The stable snake_case name (`ok`, `degraded`, `offline`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
            Self::Offline => "offline",
        }
    }
}

/// A status with the human detail an installer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluatorHealth {
    /// The status class.
    pub status: EvaluatorStatus,
    /// Why, in English.
    pub detail: Option<String>,
}
