//! The sync wire vocabulary, shared by `banshi-sync-client` and `banshi-server` so the two cannot drift.
//!
//! The protocol is deliberately thin (full text: `docs/sync-protocol.md`): per document, the body of a
//! request and of its answer is exactly one standard automerge sync message (`Message::encode`), so any
//! automerge implementation can sync a document; JSON is used only for the handshake and the change feed.
//! Blobs (scans, photos, PDFs) travel separately, content-addressed by SM3 and in fixed-size chunks, so a
//! transfer cut at any point resumes at the last whole chunk.

use serde::{Deserialize, Serialize};

pub mod fleet;

/// Protocol versions this build speaks, newest first.
pub const SUPPORTED_VERSIONS: &[u32] = &[1];

/// `POST` — many documents' sync messages in one request: [`encode_batch`] → [`encode_batch_replies`].
pub const BATCH_PATH: &str = "/sync/v1/batch";
/// Media type of batch bodies (request and answer).
pub const BATCH_MEDIA_TYPE: &str = "application/vnd.banshi.sync-batch";
/// The most documents in one batch request.
pub const MAX_BATCH_DOCS: usize = 256;

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

/// Blob routes (`docs/sync-protocol.md` §7), all signed and all taking `?scope=S`:
///
/// - `GET {prefix}{sm3}` → [`BlobStatus`], or 404 `blob.unknown`;
/// - `PUT {prefix}{sm3}/chunks/{index}?size=TOTAL&scope=S`, body = the chunk's bytes → 204;
/// - `POST {prefix}{sm3}/complete?scope=S` → [`BlobStatus`] once the server has verified the content's SM3;
/// - `GET {prefix}{sm3}/chunks/{index}?scope=S` → the chunk's bytes.
pub const BLOBS_PATH_PREFIX: &str = "/sync/v1/blobs/";

/// Every chunk of a blob is this long, except the last, which holds the rest (1 to this many bytes; a
/// zero-byte blob is one empty chunk). Fixed, so a chunk's index alone says which bytes it holds and an
/// interrupted transfer resumes at a chunk boundary without any negotiation.
pub const BLOB_CHUNK_BYTES: u64 = 1024 * 1024;

/// The largest blob a server accepts (64 MiB): a 10 MP scan is a few MiB, a multi-page PDF tens of MiB.
pub const MAX_BLOB_BYTES: u64 = 64 * 1024 * 1024;

/// Body limit of a blob request: one chunk plus room to spare; larger bodies get 413 `sync.too_large`
/// before their signature is even checked.
pub const MAX_BLOB_REQUEST_BYTES: usize = BLOB_CHUNK_BYTES as usize + 64 * 1024;

/// Media type of chunk bodies, both ways.
pub const BLOB_CHUNK_MEDIA_TYPE: &str = "application/octet-stream";

/// What the server holds of one blob for one scope: the answer to `GET …/blobs/{sm3}` and to `…/complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobStatus {
    /// The whole content's length in bytes.
    pub size: u64,
    /// [`BLOB_CHUNK_BYTES`], repeated so a client can check it speaks the same chunking.
    pub chunk_size: u64,
    /// True once the content was verified against its SM3 and may be downloaded in this scope.
    pub complete: bool,
    /// Indexes of the chunks the server holds, ascending (every index when `complete`).
    pub chunks_present: Vec<u32>,
}

/// Whether `id` is a blob id: the lower-case hex SM3 of the content (64 characters). Never a path.
pub fn valid_blob_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// How many chunks a blob of `size` bytes has (at least one: an empty blob is one empty chunk).
pub fn blob_chunk_count(size: u64) -> u32 {
    // Sizes are checked against MAX_BLOB_BYTES before anything is stored, so the count fits easily.
    (size.div_ceil(BLOB_CHUNK_BYTES).max(1)).min(u64::from(u32::MAX)) as u32
}

/// The length chunk `index` of a blob of `size` bytes must have, or `None` when there is no such chunk.
pub fn blob_chunk_len(size: u64, index: u32) -> Option<u64> {
    if index >= blob_chunk_count(size) {
        return None;
    }
    let start = u64::from(index) * BLOB_CHUNK_BYTES;
    Some((size - start.min(size)).min(BLOB_CHUNK_BYTES))
}

/// `/sync/v1/blobs/{sm3}`
pub fn blob_path(sm3: &str) -> String {
    format!("{BLOBS_PATH_PREFIX}{sm3}")
}

/// `/sync/v1/blobs/{sm3}/chunks/{index}`
pub fn blob_chunk_path(sm3: &str, index: u32) -> String {
    format!("{BLOBS_PATH_PREFIX}{sm3}/chunks/{index}")
}

/// `/sync/v1/blobs/{sm3}/complete`
pub fn blob_complete_path(sm3: &str) -> String {
    format!("{BLOBS_PATH_PREFIX}{sm3}/complete")
}

/// One document's sync message in a batch request (an empty message means "anything for me?").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    pub doc_id: String,
    pub message: Vec<u8>,
}

/// The server's answer for one document of a batch: `status` as the single-document endpoint would answer
/// (200 with a sync message, 204 with nothing, or an error status with the `{code, message}` JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReply {
    pub doc_id: String,
    pub status: u16,
    pub body: Vec<u8>,
}

/// A batch body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadBatch(pub &'static str);

impl std::fmt::Display for BadBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// `u32 count`, then per item `u16 id length | id | u32 message length | message` (big-endian).
pub fn encode_batch(items: &[BatchItem]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(items.len() as u32).to_be_bytes());
    for item in items {
        out.extend_from_slice(&(item.doc_id.len() as u16).to_be_bytes());
        out.extend_from_slice(item.doc_id.as_bytes());
        out.extend_from_slice(&(item.message.len() as u32).to_be_bytes());
        out.extend_from_slice(&item.message);
    }
    out
}

pub fn decode_batch(bytes: &[u8]) -> Result<Vec<BatchItem>, BadBatch> {
    let mut r = Reader { bytes, at: 0 };
    let count = u32::from_be_bytes(r.array()?) as usize;
    if count > MAX_BATCH_DOCS {
        return Err(BadBatch("too many documents in one batch"));
    }
    let mut items = Vec::with_capacity(count);
    for _ in 0..count {
        let id_len = u16::from_be_bytes(r.array()?) as usize;
        let doc_id = std::str::from_utf8(r.take(id_len)?)
            .map_err(|_| BadBatch("document id is not UTF-8"))?
            .to_string();
        let len = u32::from_be_bytes(r.array()?) as usize;
        items.push(BatchItem {
            doc_id,
            message: r.take(len)?.to_vec(),
        });
    }
    r.end()?;
    Ok(items)
}

/// `u32 count`, then per reply `u16 id length | id | u16 status | u32 body length | body`.
pub fn encode_batch_replies(replies: &[BatchReply]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(replies.len() as u32).to_be_bytes());
    for reply in replies {
        out.extend_from_slice(&(reply.doc_id.len() as u16).to_be_bytes());
        out.extend_from_slice(reply.doc_id.as_bytes());
        out.extend_from_slice(&reply.status.to_be_bytes());
        out.extend_from_slice(&(reply.body.len() as u32).to_be_bytes());
        out.extend_from_slice(&reply.body);
    }
    out
}

pub fn decode_batch_replies(bytes: &[u8]) -> Result<Vec<BatchReply>, BadBatch> {
    let mut r = Reader { bytes, at: 0 };
    let count = u32::from_be_bytes(r.array()?) as usize;
    if count > MAX_BATCH_DOCS {
        return Err(BadBatch("too many replies in one batch"));
    }
    let mut replies = Vec::with_capacity(count);
    for _ in 0..count {
        let id_len = u16::from_be_bytes(r.array()?) as usize;
        let doc_id = std::str::from_utf8(r.take(id_len)?)
            .map_err(|_| BadBatch("document id is not UTF-8"))?
            .to_string();
        let status = u16::from_be_bytes(r.array()?);
        let len = u32::from_be_bytes(r.array()?) as usize;
        replies.push(BatchReply {
            doc_id,
            status,
            body: r.take(len)?.to_vec(),
        });
    }
    r.end()?;
    Ok(replies)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BadBatch> {
        let end = self.at.checked_add(n).ok_or(BadBatch("length overflow"))?;
        let slice = self
            .bytes
            .get(self.at..end)
            .ok_or(BadBatch("batch ends early"))?;
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], BadBatch> {
        self.take(N)?
            .try_into()
            .map_err(|_| BadBatch("batch ends early"))
    }

    fn end(&self) -> Result<(), BadBatch> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(BadBatch("bytes after the last item"))
        }
    }
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
    fn chunking_covers_every_byte_once() {
        const C: u64 = BLOB_CHUNK_BYTES;
        assert_eq!(blob_chunk_count(0), 1);
        assert_eq!(blob_chunk_len(0, 0), Some(0));
        assert_eq!(blob_chunk_len(0, 1), None);
        assert_eq!(blob_chunk_count(C), 1);
        assert_eq!(blob_chunk_count(C + 1), 2);
        assert_eq!(blob_chunk_len(C + 1, 0), Some(C));
        assert_eq!(blob_chunk_len(C + 1, 1), Some(1));
        assert_eq!(blob_chunk_len(C + 1, 2), None);
        for size in [1, 5, C - 1, C, 3 * C + 7, MAX_BLOB_BYTES] {
            let total: u64 = (0..blob_chunk_count(size))
                .map(|i| blob_chunk_len(size, i).unwrap())
                .sum();
            assert_eq!(total, size);
        }
        assert_eq!(blob_chunk_count(MAX_BLOB_BYTES), 64);
    }

    #[test]
    fn blob_ids_are_lower_case_sm3_hex() {
        let id = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
        assert!(valid_blob_id(id));
        assert!(!valid_blob_id(&id.to_uppercase()));
        assert!(!valid_blob_id(&id[1..]));
        assert!(!valid_blob_id("../../../../etc/passwd"));
        assert_eq!(
            blob_chunk_path(id, 3),
            format!("/sync/v1/blobs/{id}/chunks/3")
        );
    }

    #[test]
    fn batches_round_trip_and_truncations_are_refused() {
        let items = vec![
            BatchItem {
                doc_id: "a".into(),
                message: vec![1, 2, 3],
            },
            BatchItem {
                doc_id: "b".into(),
                message: vec![],
            },
        ];
        let bytes = encode_batch(&items);
        assert_eq!(decode_batch(&bytes).unwrap(), items);
        for cut in 0..bytes.len() {
            assert!(decode_batch(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let replies = vec![BatchReply {
            doc_id: "a".into(),
            status: 204,
            body: vec![],
        }];
        assert_eq!(
            decode_batch_replies(&encode_batch_replies(&replies)).unwrap(),
            replies
        );
        assert!(decode_batch(&[0xff, 0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn doc_ids_cannot_smuggle_paths() {
        assert!(valid_doc_id("0192f3a4-5b6c-7d8e-9f00-112233445566"));
        assert!(!valid_doc_id("../etc/passwd"));
        assert!(!valid_doc_id(""));
    }
}
