//! Announcements in calling order, played one after another on a thread of their own.
//!
//! A hall calls faster than it speaks: a second call made while the first is still sounding must wait
//! its turn, never talk over it or be dropped. One player thread draining a FIFO gives exactly that, and
//! because sinks block for the length of the audio, keeping them off the caller's thread means an async
//! runtime (the terminal's, the local API's) is never stalled by a speaker. Callers get a [`Playback`]
//! to await (or ignore) the end of their announcement.

use std::sync::mpsc;
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::announcement::Announcement;
use crate::call::{Call, CallOptions};
use crate::error::VoiceError;
use crate::health::Health;
use crate::library::ClipLibrary;
use crate::sink::AudioSink;

struct Job {
    announcement: Announcement,
    done: oneshot::Sender<Result<(), VoiceError>>,
}

/// A FIFO of announcements in front of one [`AudioSink`].
#[derive(Debug)]
pub struct CallQueue {
    jobs: mpsc::Sender<Job>,
    sink: Arc<dyn AudioSink>,
}

impl CallQueue {
    /// Starts the player thread. It ends, after playing what is queued, when the queue is dropped.
    ///
    /// Errors: `voice.no_output` if the thread cannot be started.
    pub fn new(sink: Arc<dyn AudioSink>) -> Result<Self, VoiceError> {
        let (jobs, queued) = mpsc::channel::<Job>();
        let player = Arc::clone(&sink);
        std::thread::Builder::new()
            .name("banshi-voice".into())
            .spawn(move || {
                for job in queued {
                    let result = player.play(&job.announcement);
                    if let Err(error) = &result {
                        tracing::warn!(ticket = job.announcement.ticket(), %error, "announcement not played");
                    }
                    // The caller may have stopped waiting; the announcement was still due.
                    let _ = job.done.send(result);
                }
            })
            .map_err(|e| VoiceError::NoOutput {
                detail: format!("cannot start the voice player thread: {e}"),
            })?;
        Ok(Self { jobs, sink })
    }

    /// Queues `announcement` behind those already queued; returns at once.
    pub fn enqueue(&self, announcement: Announcement) -> Playback {
        let (done, finished) = oneshot::channel();
        if let Err(mpsc::SendError(job)) = self.jobs.send(Job { announcement, done }) {
            let _ = job.done.send(Err(VoiceError::QueueStopped));
        }
        Playback { finished }
    }

    /// The sink's health.
    pub fn health(&self) -> Health {
        self.sink.health()
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("ticket", &self.announcement.ticket())
            .finish()
    }
}

/// The end of one queued announcement.
#[derive(Debug)]
#[must_use = "dropping a Playback is fine (the call still plays) but usually you want to know it ended"]
pub struct Playback {
    finished: oneshot::Receiver<Result<(), VoiceError>>,
}

impl Playback {
    /// Waits, without blocking the runtime, until the announcement has played (or failed to).
    pub async fn finished(self) -> Result<(), VoiceError> {
        self.finished.await.unwrap_or(Err(VoiceError::QueueStopped))
    }

    /// Blocks the thread until the announcement has played. Not for use inside an async runtime
    /// (it would stall it; use [`Playback::finished`] there).
    pub fn wait(self) -> Result<(), VoiceError> {
        self.finished
            .blocking_recv()
            .unwrap_or(Err(VoiceError::QueueStopped))
    }
}

/// The voice device as the terminal uses it: clip sets, a queue and a sink.
#[derive(Debug)]
pub struct Announcer {
    library: ClipLibrary,
    queue: CallQueue,
}

impl Announcer {
    pub fn new(library: ClipLibrary, sink: Arc<dyn AudioSink>) -> Result<Self, VoiceError> {
        Ok(Self {
            library,
            queue: CallQueue::new(sink)?,
        })
    }

    /// Renders `call` (in its language, else zh-CN) and queues it; returns at once.
    ///
    /// Errors (before anything is queued): `voice.bad_ticket`, `voice.bad_window`,
    /// `voice.unknown_language`.
    pub fn announce(&self, call: &Call, options: CallOptions) -> Result<Playback, VoiceError> {
        let announcement = self.library.render(call, options)?;
        Ok(self.queue.enqueue(announcement))
    }

    /// `offline` when the sink cannot play or no zh-CN clips exist; `degraded` when a language's clip
    /// set failed to load; else `ok`.
    pub fn health(&self) -> Health {
        self.queue.health().worst(self.library.health())
    }

    pub fn library(&self) -> &ClipLibrary {
        &self.library
    }
}
