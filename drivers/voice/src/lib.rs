//! Hall voice calling (叫号) from recorded clips.
//!
//! Halls call tickets by stringing recorded clips together — "请 / A / 零 / 零 / 一 / 号 / 到 / 五 /
//! 号窗口 / 办理" — because it is deterministic, sounds like a person and works offline in any language
//! that has recordings (BRIEF §4.6; devices-research.md §7.3). This crate does that in four steps, each
//! its own module:
//!
//! 1. **Clip sets** ([`ClipSet`], [`ClipLibrary`]): one directory per language with a `manifest.toml`
//!    holding the phrase templates (word order), how tickets and windows are read (digit by digit or as
//!    a number, with the language's number words) and the clip file of each token. Languages differ only
//!    in data, so Uyghur or English clips drop in without code. Loading validates everything — every
//!    clip present, every clip 16-bit mono PCM at the set's one sample rate — so a call can only fail on
//!    its own ticket or window. A set that fails to load (Uyghur, until recorded) makes its calls fall
//!    back to zh-CN and the device `degraded`.
//! 2. **Assembly and rendering** ([`ClipSet::render`] → [`Announcement`]): a [`Call`] becomes a script
//!    of clips and pauses (chime, gaps between clips, pauses between repeats) and one PCM buffer.
//! 3. **Sinks** ([`AudioSink`]): [`CommandSink`] plays through `paplay`/`aplay`, [`WavFileSink`] writes
//!    WAV files (demo hall, diagnostics), [`RecordingSink`] keeps what was played (tests).
//! 4. **Queue** ([`CallQueue`], [`Announcer`]): announcements play in calling order on a thread of their
//!    own; callers await a [`Playback`] or carry on.
//!
//! Conventions of the bundled sets: zh-CN reads ticket digits one by one with 一 (yī), not 幺 (yāo), and
//! the window as a number (12 → 十二); en says "Number A zero zero one, please go to window twelve".
//! The bundled WAVs are espeak-ng stand-ins ([`bundled_clips_dir`], `clips/make-clips.sh`); real halls
//! replace them with recorded human clips.
//!
//! ```no_run
//! use std::sync::Arc;
//! use banshi_voice::{bundled_clips_dir, Announcer, Call, CallOptions, ClipLibrary, CommandSink, Window};
//!
//! # async fn demo() -> Result<(), banshi_voice::VoiceError> {
//! let library = ClipLibrary::load(&bundled_clips_dir())?;
//! let announcer = Announcer::new(library, Arc::new(CommandSink::system()))?;
//! let call = Call::new("A001", Window::parse("5号"), "zh-CN");
//! announcer.announce(&call, CallOptions { repeat: 2, chime: true })?.finished().await?;
//! # Ok(()) }
//! ```

mod announcement;
mod call;
mod clipset;
mod command;
mod error;
mod health;
mod library;
mod manifest;
mod queue;
mod reading;
mod sink;

pub use announcement::{Announcement, Part};
pub use call::{Call, CallOptions, Window};
pub use clipset::{ClipSet, MANIFEST_FILE};
pub use command::{AudioEnvironment, CommandSink};
pub use error::{ClipRef, VoiceError};
pub use health::{Health, VoiceStatus};
pub use library::{bundled_clips_dir, ClipLibrary, LoadFailure, FALLBACK_LANGUAGE};
pub use queue::{Announcer, CallQueue, Playback};
pub use sink::{AudioSink, RecordingSink, WavFileSink};
