//! The sync wire vocabulary, shared by `banshi-sync-client` and `banshi-server` so the two cannot drift.
//!
//! The protocol is deliberately thin (full text: `docs/sync-protocol.md`): per document, the body of a
//! request and of its answer is exactly one standard automerge sync message (`Message::encode`), so any
//! automerge implementation can sync a document; JSON is used only for the handshake and the change feed.

use serde::{Deserialize, Serialize};

/// Protocol versions this build speaks, newest first.
pub const SUPPORTED_VERSIONS: &[u32] = &[1];

/// `POST` — handshake: [`Hello`] → [`Welcome`].
pub const HELLO_PATH: &str = "/sync/v1/hello";
/// `POST /sync/v1/docs/{doc_id}` — body: an automerge sync message (may be empty); answer: `200` with the
/// server's next sync message, or `204` when it has nothing to say.
pub const DOC_PATH_PREFIX: &str = "/sync/v1/docs/";
/// `GET /sync/v1/feed?scope=…&after=N&limit=M[&wait_ms=W]` → [`FeedPage`]. With `wait_ms`, an empty page
/// is held back until the scope changes or `W` (at most [`MAX_FEED_WAIT_MS`]) has passed.
pub const FEED_PATH: &str = "/sync/v1/feed";

/// Header naming the terminal a request comes from (authenticated with its SM2 key from the sync issue on).
pub const TERMINAL_HEADER: &str = "x-banshi-terminal";
/// Header carrying the negotiated protocol version on every request after the handshake.
pub const VERSION_HEADER: &str = "x-banshi-protocol";
/// Media type of sync message bodies.
pub const SYNC_MESSAGE_MEDIA_TYPE: &str = "application/vnd.automerge.sync-message";

/// The most changes the feed returns in one page.
pub const MAX_FEED_PAGE: u32 = 1000;

/// The longest a feed long-poll waits, in milliseconds: below the reference client's 30 s request timeout
/// and common proxies' idle timeouts.
pub const MAX_FEED_WAIT_MS: u64 = 25_000;

/// Terminal → server, first request of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub terminal_id: String,
    pub hall_id: String,
    /// Versions the terminal speaks, newest first.
    pub versions: Vec<u32>,
}

/// Server → terminal, answer to [`Hello`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// The newest version both sides speak.
    pub version: u32,
    pub server_id: String,
    /// Scopes the terminal may read and write.
    pub scopes: Vec<String>,
}

/// One page of a scope's change feed: every document changed after `after`, each once, at its latest
/// position. A terminal syncs each listed document and then stores `next` as its cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedPage {
    pub entries: Vec<FeedEntry>,
    pub next: i64,
    /// True when more entries follow; ask again with `after = next`.
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEntry {
    pub doc_id: String,
    pub position: i64,
}

/// The newest version in both lists, if any.
pub fn negotiate(ours: &[u32], theirs: &[u32]) -> Option<u32> {
    ours.iter().copied().filter(|v| theirs.contains(v)).max()
}

/// Whether a document id is acceptable on the wire: a UUID-shaped token, never a path.
pub fn valid_doc_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_picks_the_newest_common_version() {
        assert_eq!(negotiate(&[1, 2], &[2, 3]), Some(2));
        assert_eq!(negotiate(&[1], &[2]), None);
    }

    #[test]
    fn doc_ids_cannot_smuggle_paths() {
        assert!(valid_doc_id("0192f3a4-5b6c-7d8e-9f00-112233445566"));
        assert!(!valid_doc_id("../etc/passwd"));
        assert!(!valid_doc_id(""));
    }
}
