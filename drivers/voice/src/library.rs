//! All clip sets of a terminal, one directory per language, with the zh-CN fallback.
//!
//! A set that fails to load (typically Uyghur before its clips are recorded) must not silence the hall:
//! the library keeps the failure for the health report and answers calls in that language with zh-CN,
//! the language every hall has clips for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::announcement::Announcement;
use crate::call::{Call, CallOptions};
use crate::clipset::{ClipSet, MANIFEST_FILE};
use crate::error::VoiceError;
use crate::health::Health;

/// The language calls fall back to when theirs has no usable clip set.
pub const FALLBACK_LANGUAGE: &str = "zh-CN";

/// The clip sets committed with the source (`drivers/voice/clips`): espeak-ng stand-ins for zh-CN and
/// en, and the ug manifest awaiting recordings. Packaged terminals install them and pass their own path.
pub fn bundled_clips_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clips")
}

/// A clip set directory that did not load, kept for health and diagnostics.
#[derive(Debug)]
pub struct LoadFailure {
    /// The set's directory name (its language, by convention).
    pub name: String,
    pub error: VoiceError,
}

/// The loaded clip sets by language, and the ones that failed.
#[derive(Debug, Default)]
pub struct ClipLibrary {
    sets: BTreeMap<String, ClipSet>,
    failures: Vec<LoadFailure>,
}

impl ClipLibrary {
    /// Loads every subdirectory of `root` that holds a `manifest.toml`. A set that fails is recorded in
    /// [`ClipLibrary::failures`]; only an unreadable `root` is an error.
    pub fn load(root: &Path) -> Result<Self, VoiceError> {
        let io = |source| VoiceError::Io {
            path: root.to_owned(),
            source,
        };
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
            .map_err(io)?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|dir| dir.join(MANIFEST_FILE).is_file())
            .collect();
        dirs.sort();
        let mut library = Self::default();
        for dir in dirs {
            match ClipSet::load(&dir) {
                Ok(set) => library.add(set),
                Err(error) => {
                    let name = dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    tracing::warn!(set = %name, %error, "voice clip set not loaded");
                    library.failures.push(LoadFailure { name, error });
                }
            }
        }
        Ok(library)
    }

    /// Adds (or replaces) a set under its manifest's language.
    pub fn add(&mut self, set: ClipSet) {
        self.sets.insert(set.language().to_owned(), set);
    }

    /// Languages with a usable clip set.
    pub fn languages(&self) -> Vec<&str> {
        self.sets.keys().map(String::as_str).collect()
    }

    pub fn failures(&self) -> &[LoadFailure] {
        &self.failures
    }

    /// The set for `language`, else the zh-CN set.
    ///
    /// Errors: `voice.unknown_language` when neither exists.
    pub fn resolve(&self, language: &str) -> Result<&ClipSet, VoiceError> {
        if let Some(set) = self.sets.get(language) {
            return Ok(set);
        }
        let fallback =
            self.sets
                .get(FALLBACK_LANGUAGE)
                .ok_or_else(|| VoiceError::UnknownLanguage {
                    language: language.to_owned(),
                })?;
        tracing::info!(
            language,
            fallback = FALLBACK_LANGUAGE,
            "no voice clips for language, falling back"
        );
        Ok(fallback)
    }

    /// Renders `call` with its language's clips, or zh-CN's (see [`Announcement::language`]).
    pub fn render(&self, call: &Call, options: CallOptions) -> Result<Announcement, VoiceError> {
        self.resolve(&call.language)?.render(call, options)
    }

    /// `ok` when every set loaded; `degraded` naming the sets that did not (their calls fall back);
    /// `offline` when there is no zh-CN set to fall back to.
    pub fn health(&self) -> Health {
        let failed = || {
            self.failures
                .iter()
                .map(|f| format!("{}: {}", f.name, f.error))
                .collect::<Vec<_>>()
                .join("; ")
        };
        if !self.sets.contains_key(FALLBACK_LANGUAGE) {
            let mut detail = format!("no usable {FALLBACK_LANGUAGE} clip set");
            if !self.failures.is_empty() {
                detail = format!("{detail} ({})", failed());
            }
            return Health::offline(detail);
        }
        if self.failures.is_empty() {
            Health::ok()
        } else {
            Health::degraded(format!(
                "calls fall back to {FALLBACK_LANGUAGE} for: {}",
                failed()
            ))
        }
    }
}
