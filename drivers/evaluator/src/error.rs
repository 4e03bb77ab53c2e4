//! Errors of the evaluator driver, with stable codes for the UI.

use banshi_core::ErrorCode;

/// Why a rating or a command did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluatorError {
    /// The serial device is missing or cannot be opened, or it went away.
    #[error("evaluator offline: {detail}")]
    Offline {
        /// Path and cause.
        detail: String,
    },
    /// The port is open but the device did not acknowledge a command after every retry.
    #[error("the evaluator did not answer")]
    NoResponse,
    /// The device refused a command every time it was sent.
    #[error("the evaluator refused the command")]
    Rejected,
    /// No key was pressed before the timeout.
    #[error("no rating was given in time")]
    Timeout,
    /// The caller cancelled the request.
    #[error("the rating request was cancelled")]
    Cancelled,
}

impl ErrorCode for EvaluatorError {
    fn code(&self) -> &'static str {
        match self {
            Self::Offline { .. } => "evaluator.offline",
            Self::NoResponse => "evaluator.no_response",
            Self::Rejected => "evaluator.rejected",
            Self::Timeout => "evaluator.timeout",
            Self::Cancelled => "evaluator.cancelled",
        }
    }
}
