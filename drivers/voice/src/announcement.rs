//! A rendered announcement: the clip sequence that says a call and the PCM it became.
//!
//! Keeping the script (clips and pauses) next to the samples lets tests and diagnostics check *what* was
//! said without listening, and lets sinks write or play the audio without knowing about clip sets.

use std::path::Path;
use std::time::Duration;

use crate::error::VoiceError;

/// One step of an announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A clip, by its manifest token (`please`, `letter_A`, `digit_0` …).
    Clip(String),
    /// Silence.
    Pause { ms: u32 },
}

/// A call rendered to 16-bit mono PCM, ready for an [`crate::AudioSink`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    language: String,
    ticket: String,
    window: String,
    parts: Vec<Part>,
    sample_rate: u32,
    samples: Vec<i16>,
}

impl Announcement {
    pub(crate) fn new(
        language: String,
        ticket: String,
        window: String,
        parts: Vec<Part>,
        sample_rate: u32,
        samples: Vec<i16>,
    ) -> Self {
        Self {
            language,
            ticket,
            window,
            parts,
            sample_rate,
            samples,
        }
    }

    /// Language of the clip set that rendered it (after any fallback).
    pub fn language(&self) -> &str {
        &self.language
    }

    /// The ticket as called, uppercased, e.g. `A001`.
    pub fn ticket(&self) -> &str {
        &self.ticket
    }

    /// The window as called, e.g. `5` or `综合窗口`.
    pub fn window(&self) -> &str {
        &self.window
    }

    /// Clips and pauses in playing order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Just the clip tokens, in playing order.
    pub fn tokens(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Clip(token) => Some(token.as_str()),
                Part::Pause { .. } => None,
            })
            .collect()
    }

    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Mono 16-bit PCM at [`Announcement::sample_rate`].
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    pub fn duration(&self) -> Duration {
        let len = u64::try_from(self.samples.len()).unwrap_or(u64::MAX);
        Duration::from_micros(len.saturating_mul(1_000_000) / u64::from(self.sample_rate.max(1)))
    }

    /// Writes the audio as a 16-bit mono PCM WAV file.
    pub fn write_wav(&self, path: &Path) -> Result<(), VoiceError> {
        let io = |source: std::io::Error| VoiceError::Io {
            path: path.to_owned(),
            source,
        };
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: self.sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let result = (|| {
            let mut writer = hound::WavWriter::create(path, spec)?;
            for &sample in &self.samples {
                writer.write_sample(sample)?;
            }
            writer.finalize()
        })();
        result.map_err(|e| match e {
            hound::Error::IoError(source) => io(source),
            other => io(std::io::Error::other(other.to_string())),
        })
    }
}
