//! Voice calling as the profile configures it: the clip library, and the speaker or a WAV folder.

use std::path::Path;
use std::sync::Arc;

use banshi_profile::Voice;
use banshi_voice::{
    Announcer, AudioSink, Call, CallOptions, ClipLibrary, CommandSink, VoiceError, VoiceStatus,
    WavFileSink, Window,
};

use crate::{DeviceError, DeviceStatus};

/// The announcer, or why there is none (a clip folder that does not load is a fault to show, not a reason
/// for the terminal not to start).
#[derive(Debug)]
pub(crate) struct VoiceDevice {
    announcer: Result<Announcer, String>,
    language: String,
}

impl VoiceDevice {
    pub(crate) fn open(config: &Voice) -> Self {
        let sink: Arc<dyn AudioSink> = match config.output.strip_prefix("wav:") {
            Some(dir) => Arc::new(WavFileSink::new(dir)),
            None => Arc::new(CommandSink::system()),
        };
        let announcer = ClipLibrary::load(Path::new(&config.clips))
            .and_then(|library| Announcer::new(library, sink))
            .map_err(|e| e.to_string());
        if let Err(why) = &announcer {
            tracing::warn!(clips = %config.clips, error = %why, "voice calling unavailable");
        }
        Self {
            announcer,
            language: config.language.clone(),
        }
    }

    pub(crate) fn probe(&self) -> (DeviceStatus, Option<String>) {
        match &self.announcer {
            Ok(announcer) => {
                let health = announcer.health();
                let status = match health.status {
                    VoiceStatus::Ok => DeviceStatus::Ok,
                    VoiceStatus::Degraded => DeviceStatus::Degraded,
                    VoiceStatus::Offline => DeviceStatus::Offline,
                };
                (status, health.detail)
            }
            Err(why) => (DeviceStatus::Offline, Some(why.clone())),
        }
    }

    /// Queue an announcement and return at once; it plays after those queued before it.
    pub(crate) fn announce(
        &self,
        ticket: &str,
        window: &str,
        language: Option<&str>,
        repeat: u8,
    ) -> Result<(), DeviceError> {
        let announcer = self.announcer.as_ref().map_err(|why| {
            DeviceError::Voice(VoiceError::NoOutput {
                detail: why.clone(),
            })
        })?;
        let call = Call::new(
            ticket,
            Window::parse(window),
            language.unwrap_or(&self.language),
        );
        // The playback finishes on the queue's thread; nobody here needs to wait for it.
        let _playback = announcer.announce(
            &call,
            CallOptions {
                repeat,
                chime: true,
            },
        )?;
        Ok(())
    }
}
