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

/// `POST` — enrollment: [`EnrollRequest`] → [`Enrolled`]. The only sync route that is not signed.
pub const ENROLL_PATH: &str = "/sync/v1/enroll";
/// `GET` — relays only: the hall's enrolled terminals and their public keys → `Vec<`[`TerminalEntry`]`>`.
pub const HALL_TERMINALS_PATH: &str = "/sync/v1/hall/terminals";

/// Header naming the terminal a request comes from; the request's signature proves it.
pub const TERMINAL_HEADER: &str = "x-banshi-terminal";
/// Header with the request time, Unix milliseconds; the server refuses requests outside [`MAX_CLOCK_SKEW_MS`].
pub const TIME_HEADER: &str = "x-banshi-time";
/// Header with a fresh random value (32 hex characters) per request; a server refuses one it has seen.
pub const NONCE_HEADER: &str = "x-banshi-nonce";
/// Header with the SM2 signature (hex of the 64-byte `r‖s`) of [`signing_string`].
pub const SIGNATURE_HEADER: &str = "x-banshi-signature";
/// How far a request's time may be from the server's clock, either way.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
/// Header carrying the negotiated protocol version on every request after the handshake.
pub const VERSION_HEADER: &str = "x-banshi-protocol";
/// Media type of sync message bodies.
pub const SYNC_MESSAGE_MEDIA_TYPE: &str = "application/vnd.automerge.sync-message";

/// The most changes the feed returns in one page.
pub const MAX_FEED_PAGE: u32 = 1000;

/// The exact bytes a terminal signs for one request (and the server verifies):
///
/// ```text
/// BANSHI-SM2-V1\n{METHOD}\n{path?query}\n{terminal id}\n{time ms}\n{nonce}\n{SM3 hex of the body}
/// ```
///
/// `path?query` is the request target exactly as sent (no scheme or host, so a relay and the central server
/// accept the same signature); an empty body hashes like any other.
pub fn signing_string(
    method: &str,
    path_and_query: &str,
    terminal_id: &str,
    time_ms: i64,
    nonce: &str,
    body_sm3_hex: &str,
) -> String {
    format!(
        "BANSHI-SM2-V1\n{}\n{path_and_query}\n{terminal_id}\n{time_ms}\n{nonce}\n{body_sm3_hex}",
        method.to_ascii_uppercase()
    )
}

/// Terminal → server: bind this terminal's public key to the hall an admin's one-time token names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub token: String,
    pub terminal_id: String,
    /// SM2 public key, hex of the SEC1 uncompressed point (130 characters).
    pub public_key: String,
}

/// Server → terminal, answer to [`EnrollRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    pub terminal_id: String,
    pub hall_id: String,
    pub role: String,
    pub scopes: Vec<String>,
}

/// One enrolled terminal as a relay learns it from upstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalEntry {
    pub terminal_id: String,
    pub hall_id: String,
    pub public_key: String,
    /// `terminal` or `relay`.
    pub role: String,
    /// `active` or `revoked`.
    pub status: String,
}
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
    fn the_signing_string_is_line_per_field() {
        assert_eq!(
            signing_string(
                "post",
                "/sync/v1/feed?scope=hall:a&after=3",
                "t1",
                1700000000000,
                "ab",
                "cd"
            ),
            "BANSHI-SM2-V1\nPOST\n/sync/v1/feed?scope=hall:a&after=3\nt1\n1700000000000\nab\ncd"
        );
    }

    #[test]
    fn doc_ids_cannot_smuggle_paths() {
        assert!(valid_doc_id("0192f3a4-5b6c-7d8e-9f00-112233445566"));
        assert!(!valid_doc_id("../etc/passwd"));
        assert!(!valid_doc_id(""));
    }
}
