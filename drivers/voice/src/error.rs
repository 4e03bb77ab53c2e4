//! Errors of the voice crate, each with a stable `voice.*` code the UI and the device API translate.
//!
//! Load errors carry enough for an installer to fix the clip set (which token, which file, what is wrong
//! with it); call errors say why a ticket or window cannot be read aloud. Tickets and window numbers are
//! not personal data, so they may appear in messages.

use std::path::PathBuf;

use banshi_core::ErrorCode;

/// A clip the manifest needs but the clip set directory lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipRef {
    /// The manifest's token, e.g. `please` or `letter_A`.
    pub token: String,
    /// The file the token is read from, relative to the clip set directory.
    pub file: String,
}

impl std::fmt::Display for ClipRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.token, self.file)
    }
}

/// How many missing clips a message lists before it says "and N more": a fresh Uyghur set misses ~50.
const MISSING_LISTED: usize = 8;

fn list_missing(missing: &[ClipRef]) -> String {
    let listed: Vec<String> = missing
        .iter()
        .take(MISSING_LISTED)
        .map(ToString::to_string)
        .collect();
    let more = missing.len().saturating_sub(MISSING_LISTED);
    if more == 0 {
        listed.join(", ")
    } else {
        format!("{} and {more} more", listed.join(", "))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    /// The manifest is unreadable, is not valid TOML, or its rules are inconsistent.
    #[error("voice clip set manifest {path}: {reason}")]
    BadManifest { path: PathBuf, reason: String },

    /// Clip files the manifest needs are absent.
    #[error("voice clip set {language}: {} clip(s) missing: {}", missing.len(), list_missing(missing))]
    MissingClip {
        language: String,
        missing: Vec<ClipRef>,
    },

    /// A clip file is not 16-bit mono PCM WAV at the set's sample rate, or is empty or corrupt.
    #[error("voice clip set {language}: clip {file} unusable: {reason}")]
    BadClip {
        language: String,
        file: PathBuf,
        reason: String,
    },

    /// The ticket number has a shape the clip set cannot read (letters then digits, e.g. `A001`).
    #[error("ticket {ticket:?} cannot be read aloud: {reason}")]
    BadTicket { ticket: String, reason: String },

    /// The window is out of the readable range or is a name without a recorded clip.
    #[error("window {window:?} cannot be read aloud: {reason}")]
    BadWindow { window: String, reason: String },

    /// Neither the requested language nor the zh-CN fallback has a usable clip set.
    #[error("no usable voice clip set for language {language:?} (nor the zh-CN fallback)")]
    UnknownLanguage { language: String },

    /// No way to make sound on this machine (no player program or no sound device).
    #[error("no audio output: {detail}")]
    NoOutput { detail: String },

    /// The player program ran but failed.
    #[error("audio player {program} failed: {detail}")]
    PlaybackFailed { program: String, detail: String },

    /// Writing an announcement's WAV failed.
    #[error("cannot write announcement audio {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The queue's player thread is gone (it only stops when the queue is dropped or a sink panicked).
    #[error("the announcement queue has stopped")]
    QueueStopped,
}

impl ErrorCode for VoiceError {
    fn code(&self) -> &'static str {
        match self {
            Self::BadManifest { .. } => "voice.bad_manifest",
            Self::MissingClip { .. } => "voice.missing_clip",
            Self::BadClip { .. } => "voice.bad_clip",
            Self::BadTicket { .. } => "voice.bad_ticket",
            Self::BadWindow { .. } => "voice.bad_window",
            Self::UnknownLanguage { .. } => "voice.unknown_language",
            Self::NoOutput { .. } => "voice.no_output",
            Self::PlaybackFailed { .. } => "voice.playback_failed",
            Self::Io { .. } => "voice.io",
            Self::QueueStopped => "voice.queue_stopped",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_clip_message_names_the_first_clips_and_counts_the_rest() {
        let missing: Vec<ClipRef> = (0..10)
            .map(|i| ClipRef {
                token: format!("t{i}"),
                file: format!("t{i}.wav"),
            })
            .collect();
        let error = VoiceError::MissingClip {
            language: "ug".into(),
            missing,
        };
        let message = error.to_string();
        assert!(
            message.starts_with("voice clip set ug: 10 clip(s) missing: t0 (t0.wav), t1 (t1.wav)")
        );
        assert!(message.ends_with("t7 (t7.wav) and 2 more"));
        assert_eq!(error.code(), "voice.missing_clip");
    }
}
