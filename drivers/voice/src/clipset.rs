//! A loaded clip set: one language's manifest plus every clip decoded to PCM, and the assembly of a call
//! into the sequence of clips and pauses that says it.
//!
//! Loading checks everything up front — manifest rules, every clip file present (all missing ones named
//! at once, so an installer records them in one go), every clip 16-bit mono PCM at the manifest's rate —
//! so that rendering a call afterwards is only lookups and copies and cannot fail on the files. Clips must
//! share one rate because concatenation does not resample: a clip at another rate would play at the
//! wrong pitch and speed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::announcement::{Announcement, Part};
use crate::call::{Call, CallOptions, TicketNumber, Window};
use crate::error::{ClipRef, VoiceError};
use crate::manifest::{letter_token, Manifest, TICKET_SLOT, WINDOW_SLOT};
use crate::reading::{read_digits, Reading};

/// The file name of a clip set's manifest inside its directory.
pub const MANIFEST_FILE: &str = "manifest.toml";

/// One language's clips, complete and validated.
#[derive(Debug, Clone)]
pub struct ClipSet {
    dir: PathBuf,
    manifest: Manifest,
    clips: HashMap<String, Vec<i16>>,
}

impl ClipSet {
    /// Loads `dir/manifest.toml` and every clip it needs.
    ///
    /// Errors: `voice.bad_manifest`, `voice.missing_clip` (listing every absent clip), `voice.bad_clip`.
    pub fn load(dir: &Path) -> Result<Self, VoiceError> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let text =
            std::fs::read_to_string(&manifest_path).map_err(|e| VoiceError::BadManifest {
                path: manifest_path.clone(),
                reason: e.to_string(),
            })?;
        let manifest = Manifest::parse(&text, &manifest_path)?;
        let tokens = manifest.required_tokens();
        let missing: Vec<ClipRef> = tokens
            .iter()
            .map(|token| ClipRef {
                token: token.clone(),
                file: manifest.clip_file(token),
            })
            .filter(|clip| !dir.join(&clip.file).is_file())
            .collect();
        if !missing.is_empty() {
            return Err(VoiceError::MissingClip {
                language: manifest.language,
                missing,
            });
        }
        let mut clips = HashMap::with_capacity(tokens.len());
        for token in tokens {
            let file = dir.join(manifest.clip_file(&token));
            let samples =
                decode_clip(&file, manifest.sample_rate).map_err(|reason| VoiceError::BadClip {
                    language: manifest.language.clone(),
                    file,
                    reason,
                })?;
            clips.insert(token, samples);
        }
        tracing::debug!(language = %manifest.language, dir = %dir.display(), clips = clips.len(), "voice clip set loaded");
        Ok(Self {
            dir: dir.to_owned(),
            manifest,
            clips,
        })
    }

    /// The manifest's language tag, e.g. `zh-CN`.
    pub fn language(&self) -> &str {
        &self.manifest.language
    }

    pub fn sample_rate(&self) -> u32 {
        self.manifest.sample_rate
    }

    /// The directory the set was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The clips and pauses that say `call` (the call's language is not consulted: this set speaks).
    ///
    /// Errors: `voice.bad_ticket`, `voice.bad_window`.
    pub fn script(&self, call: &Call, options: CallOptions) -> Result<Vec<Part>, VoiceError> {
        let m = &self.manifest;
        let ticket = self.ticket_tokens(&call.ticket)?;
        let (template, window) = self.window_tokens(&call.window)?;
        let saying: Vec<String> = template
            .iter()
            .flat_map(|entry| match entry.as_str() {
                TICKET_SLOT => ticket.clone(),
                WINDOW_SLOT => window.clone(),
                token => vec![token.to_owned()],
            })
            .collect();

        let mut parts = Vec::new();
        if options.chime && !m.prelude.is_empty() {
            push_spoken(&mut parts, &m.prelude, m.gap_ms);
            parts.push(Part::Pause {
                ms: m.repeat_gap_ms,
            });
        }
        for round in 0..options.repeat.max(1) {
            if round > 0 {
                parts.push(Part::Pause {
                    ms: m.repeat_gap_ms,
                });
            }
            push_spoken(&mut parts, &saying, m.gap_ms);
        }
        Ok(parts)
    }

    /// Assembles `call` and renders it to one PCM buffer at the set's sample rate.
    pub fn render(&self, call: &Call, options: CallOptions) -> Result<Announcement, VoiceError> {
        let parts = self.script(call, options)?;
        let rate = u64::from(self.manifest.sample_rate);
        let mut samples = Vec::new();
        for part in &parts {
            match part {
                Part::Clip(token) => {
                    // Load checked every token a script can hold, so this only fails if assembly and
                    // required_tokens ever disagree; it is reported, not panicked on.
                    let clip = self
                        .clips
                        .get(token)
                        .ok_or_else(|| VoiceError::MissingClip {
                            language: self.manifest.language.clone(),
                            missing: vec![ClipRef {
                                token: token.clone(),
                                file: self.manifest.clip_file(token),
                            }],
                        })?;
                    samples.extend_from_slice(clip);
                }
                Part::Pause { ms } => {
                    let len = rate * u64::from(*ms) / 1000;
                    samples.resize(samples.len() + usize::try_from(len).unwrap_or(0), 0);
                }
            }
        }
        Ok(Announcement::new(
            self.manifest.language.clone(),
            call.ticket.trim().to_ascii_uppercase(),
            call.window.to_string(),
            parts,
            self.manifest.sample_rate,
            samples,
        ))
    }

    fn ticket_tokens(&self, ticket: &str) -> Result<Vec<String>, VoiceError> {
        let m = &self.manifest;
        let parsed = TicketNumber::parse(ticket)?;
        let mut tokens: Vec<String> = parsed.letters.chars().map(letter_token).collect();
        let number = match m.ticket_reading {
            Reading::Digits => read_digits(&parsed.digits, &m.ticket_digits),
            Reading::Cardinal => parsed.digits.parse().ok().and_then(|n| m.cardinal.read(n)),
        };
        tokens.extend(number.ok_or_else(|| VoiceError::BadTicket {
            ticket: ticket.to_owned(),
            reason: format!(
                "the number is beyond what the {} clips can read",
                m.language
            ),
        })?);
        Ok(tokens)
    }

    fn window_tokens(&self, window: &Window) -> Result<(&[String], Vec<String>), VoiceError> {
        let m = &self.manifest;
        let bad = |reason: String| VoiceError::BadWindow {
            window: window.to_string(),
            reason,
        };
        match window {
            Window::Number(0) => Err(bad("window numbers start at 1".into())),
            Window::Number(n) => {
                let tokens = match m.window_reading {
                    Reading::Digits => read_digits(&n.to_string(), &m.cardinal.digits),
                    Reading::Cardinal => m.cardinal.read(*n),
                };
                let tokens = tokens.ok_or_else(|| {
                    bad(format!(
                        "the {} clips read numbers up to {}",
                        m.language,
                        m.cardinal.max()
                    ))
                })?;
                Ok((&m.numbered, tokens))
            }
            Window::Named(name) => match (m.windows.get(name), &m.named) {
                (Some(tokens), Some(template)) => Ok((template, tokens.clone())),
                _ => Err(bad(format!(
                    "the {} clip set has no clip for this window name",
                    m.language
                ))),
            },
        }
    }
}

/// Appends `tokens` as clips separated by `gap_ms` pauses.
fn push_spoken(parts: &mut Vec<Part>, tokens: &[String], gap_ms: u32) {
    for (i, token) in tokens.iter().enumerate() {
        if i > 0 && gap_ms > 0 {
            parts.push(Part::Pause { ms: gap_ms });
        }
        parts.push(Part::Clip(token.clone()));
    }
}

fn decode_clip(file: &Path, sample_rate: u32) -> Result<Vec<i16>, String> {
    let reader = hound::WavReader::open(file).map_err(|e| e.to_string())?;
    let spec = reader.spec();
    if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
        return Err(format!(
            "{} bits {:?} samples; clips must be 16-bit integer PCM",
            spec.bits_per_sample, spec.sample_format
        ));
    }
    if spec.channels != 1 {
        return Err(format!("{} channels; clips must be mono", spec.channels));
    }
    if spec.sample_rate != sample_rate {
        return Err(format!(
            "sample rate {} Hz; the manifest says {sample_rate} Hz for every clip (clips are not resampled)",
            spec.sample_rate
        ));
    }
    let samples = reader
        .into_samples::<i16>()
        .collect::<Result<Vec<i16>, _>>()
        .map_err(|e| e.to_string())?;
    if samples.is_empty() {
        return Err("no samples".into());
    }
    Ok(samples)
}
