//! The one error shape every boundary speaks: `{code, message}`.
//!
//! Tauri commands, HTTP handlers and CLI output all turn library errors into an [`ErrorBody`]. `code` is
//! stable and dotted (`queue.unknown_category`); the UI translates by code and shows `message` (English,
//! for logs and integrators) only when it has no translation.

use serde::{Deserialize, Serialize};

/// A serialisable error for the UI and API clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Errors that know their stable, translatable code.
pub trait ErrorCode: std::error::Error {
    fn code(&self) -> &'static str;

    fn to_body(&self) -> ErrorBody {
        ErrorBody::new(self.code(), self.to_string())
    }
}
