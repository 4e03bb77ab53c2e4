//! Blobs on the terminal: scanned pages, photos and PDFs, kept as files next to the database.
//!
//! A blob's content is the file `blobs/<sm3>`, named by the lower-case hex SM3 of its bytes, so one scan
//! attached to two records is stored once and any copy can be checked against its name. SQLite holds
//! only the facts (`blobs` table: size, scope, where it stands with the server): multi-megabyte values
//! would bloat the WAL and every backup of the records.
//!
//! Files are never written in place. A new blob is streamed into `blobs/.tmp/`, hashed while it is
//! written, fsynced and renamed to its name; a download grows in `blobs/.partial/<sm3>` a chunk at a time
//! (so it resumes after any interruption at the last whole chunk), is verified against its name, then
//! renamed the same way. After a crash there is either no file or the whole, verified one. Dot-names
//! cannot collide with hex names.
//!
//! On disk a blob file is its protocol chunks ([`proto::BLOB_CHUNK_BYTES`]) each sealed on its own under
//! the data key, bound to the blob's name and the chunk's index, one after the other: chunk `i` starts at
//! `i × (BLOB_CHUNK_BYTES + SEAL_OVERHEAD)`, so a chunk is still read (for upload) without the rest, and a
//! download still grows and resumes chunk by chunk. The name stays the SM3 of the plaintext, which is what
//! the server and the protocol know, and every check is against the plaintext. While content is being
//! added its name is not known yet, so `.tmp/` holds it sealed under a throw-away key that lives only in
//! memory; it is re-sealed under the data key once the SM3 is known.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use banshi_crypto::{DataKey, Sm3Hasher, SEAL_OVERHEAD};
use banshi_sync_protocol as proto;
use rusqlite::{params, OptionalExtension};

use crate::store::{now_ms, with_durability, Durability, Store, StoreError};

const TMP_DIR: &str = ".tmp";
const PARTIAL_DIR: &str = ".partial";
const CHUNK: usize = proto::BLOB_CHUNK_BYTES as usize;
/// How long one sealed chunk is on disk (the last one of a blob may be shorter).
const SEALED_CHUNK: u64 = proto::BLOB_CHUNK_BYTES + SEAL_OVERHEAD as u64;

/// Where a blob stands with the sync server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobState {
    /// Added here, nothing sent yet.
    Local,
    /// Some chunks may be on the server; the next pass asks which and sends the rest.
    Uploading,
    /// The server verified it (or it was downloaded from the server).
    Synced,
    /// The server refused it; the reason is kept. Not retried.
    Refused,
}

impl BlobState {
    fn as_str(self) -> &'static str {
        match self {
            BlobState::Local => "local",
            BlobState::Uploading => "uploading",
            BlobState::Synced => "synced",
            BlobState::Refused => "refused",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "uploading" => BlobState::Uploading,
            "synced" => BlobState::Synced,
            "refused" => BlobState::Refused,
            _ => BlobState::Local,
        }
    }
}

/// What the store knows of one blob in one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    /// Lower-case hex SM3 of the content: the blob's name everywhere.
    pub sm3: String,
    pub scope: String,
    pub size: u64,
    pub state: BlobState,
    /// Why the server refused it, when it did.
    pub reason: Option<String>,
    pub created_at_ms: i64,
}

/// A download in progress: the partial file, positioned at its end, which is a chunk boundary.
pub struct BlobDownload {
    file: File,
    sm3: String,
    key: DataKey,
    /// Plaintext bytes received, from earlier attempts (a whole number of chunks) and this one.
    pub have: u64,
    /// Received bytes of a chunk not complete yet: a chunk is sealed whole, so it reaches the file only
    /// once complete (or, the blob's last one, at [`Store::finish_blob_download`]).
    pending: Vec<u8>,
}

/// By hand: the pending bytes are content (a scan of an ID card), never for logs.
impl std::fmt::Debug for BlobDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobDownload")
            .field("sm3", &self.sm3)
            .field("have", &self.have)
            .field("pending_len", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl BlobDownload {
    /// Append the next bytes (plaintext, sealed here). The caller sends the content in order, starting at
    /// `have`; protocol chunks as they arrive are the natural pieces.
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.pending.extend_from_slice(bytes);
        self.have += bytes.len() as u64;
        while self.pending.len() >= CHUNK {
            self.write_pending(CHUNK)?;
        }
        Ok(())
    }

    /// Seal the first `len` pending bytes as the next chunk and write it.
    fn write_pending(&mut self, len: usize) -> Result<(), StoreError> {
        let start = self.have - self.pending.len() as u64;
        let index = u32::try_from(start / proto::BLOB_CHUNK_BYTES).unwrap_or(u32::MAX);
        let sealed = seal_chunk(&self.key, &self.sm3, index, &self.pending[..len])?;
        self.file
            .write_all(&sealed)
            .map_err(|source| StoreError::BlobIo {
                path: "partial download".into(),
                source,
            })?;
        self.pending.drain(..len);
        Ok(())
    }
}

/// What a sealed blob chunk is bound to: the blob's name and the chunk's place in it.
fn chunk_aad(sm3: &str, index: u32) -> Vec<u8> {
    format!("banshi blob v1\0{sm3}\0{index}").into_bytes()
}

fn seal_chunk(key: &DataKey, sm3: &str, index: u32, chunk: &[u8]) -> Result<Vec<u8>, StoreError> {
    banshi_crypto::seal(key, chunk, &chunk_aad(sm3, index)).map_err(StoreError::Encrypt)
}

fn open_chunk(key: &DataKey, sm3: &str, index: u32, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
    banshi_crypto::open(key, sealed, &chunk_aad(sm3, index)).map_err(|_| StoreError::Decrypt {
        id: format!("blob {sm3}"),
        part: format!("chunk {index}"),
    })
}

/// Read up to one sealed chunk from `file` (less only at its end); empty at the end.
fn read_sealed_chunk(file: &mut impl Read, path: &Path) -> Result<Vec<u8>, StoreError> {
    let mut sealed = Vec::with_capacity(SEALED_CHUNK as usize);
    file.take(SEALED_CHUNK)
        .read_to_end(&mut sealed)
        .map_err(io_error(path))?;
    Ok(sealed)
}

/// Read `content` to its end in whole chunks (the last may be short; empty content is one empty chunk),
/// handing each to `each` with its index. Refuses content over [`proto::MAX_BLOB_BYTES`].
fn for_each_chunk(
    mut content: impl Read,
    mut each: impl FnMut(u32, &[u8]) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let mut buf = vec![0u8; CHUNK];
    let mut size: u64 = 0;
    let mut index: u32 = 0;
    loop {
        let mut filled = 0;
        while filled < CHUNK {
            match content.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(StoreError::BlobIo {
                        path: "blob source".into(),
                        source,
                    })
                }
            }
        }
        size += filled as u64;
        if size > proto::MAX_BLOB_BYTES {
            return Err(StoreError::BlobTooLarge);
        }
        if filled == 0 && index > 0 {
            return Ok(size);
        }
        each(index, &buf[..filled])?;
        if filled < CHUNK {
            return Ok(size);
        }
        index += 1;
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::BlobIo {
        path: path.display().to_string(),
        source,
    }
}

/// Make a rename in `dir` durable: the directory entry is on disk too, not only the file's bytes.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))?;
    // Windows cannot open a directory as a file; NTFS journals the rename itself.
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn meta_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BlobMeta> {
    Ok(BlobMeta {
        sm3: r.get(0)?,
        scope: r.get(1)?,
        size: r.get::<_, i64>(2)? as u64,
        state: BlobState::parse(&r.get::<_, String>(3)?),
        reason: r.get(4)?,
        created_at_ms: r.get(5)?,
    })
}

const META_COLUMNS: &str = "SELECT sm3, scope, size, state, reason, created_at_ms FROM blobs";

impl Store {
    /// The folder blob files live in (`blobs/` next to the database).
    pub fn blob_dir(&self) -> &Path {
        &self.blob_dir
    }

    /// The file holding blob `sm3`'s content (it may not exist).
    pub fn blob_path(&self, sm3: &str) -> PathBuf {
        self.blob_dir.join(sm3)
    }

    fn subdir(&self, name: &str) -> Result<PathBuf, StoreError> {
        let dir = self.blob_dir.join(name);
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        Ok(dir)
    }

    /// Add a blob to `scope` from `content`, hashing it while it is written. The content is on disk
    /// (file and row, `synchronous=FULL`) when this returns, and waits for upload as `local`. Adding
    /// content that is already here stores nothing new and keeps the existing row's state. Content over
    /// [`proto::MAX_BLOB_BYTES`] is refused (`blob.too_large`) without being kept.
    pub fn add_blob(&self, scope: &str, content: impl Read) -> Result<BlobMeta, StoreError> {
        let tmp_dir = self.subdir(TMP_DIR)?;
        // First pass: the content, sealed under a key that dies with this call, while its SM3 is computed.
        let transient = DataKey::generate().map_err(StoreError::Encrypt)?;
        let mut first = tempfile::NamedTempFile::new_in(&tmp_dir).map_err(io_error(&tmp_dir))?;
        let mut hasher = Sm3Hasher::new();
        let size = for_each_chunk(content, |index, chunk| {
            hasher.update(chunk);
            let sealed = seal_chunk(&transient, "", index, chunk)?;
            first.write_all(&sealed).map_err(io_error(first.path()))
        })?;
        // (On an error, dropping `first` removes the partial copy.)
        let sm3 = hasher.finish_hex();
        let path = self.blob_path(&sm3);
        if !path.exists() {
            // Second pass: re-sealed under the data key, bound to the name now known.
            let mut sealed_first = File::open(first.path()).map_err(io_error(first.path()))?;
            let mut tmp = tempfile::NamedTempFile::new_in(&tmp_dir).map_err(io_error(&tmp_dir))?;
            let mut index = 0u32;
            loop {
                let sealed = read_sealed_chunk(&mut sealed_first, first.path())?;
                if sealed.is_empty() {
                    break;
                }
                let chunk = open_chunk(&transient, "", index, &sealed)?;
                let resealed = seal_chunk(&self.key, &sm3, index, &chunk)?;
                tmp.write_all(&resealed).map_err(io_error(tmp.path()))?;
                index += 1;
            }
            tmp.as_file().sync_all().map_err(io_error(tmp.path()))?;
            if let Err(e) = tmp.persist(&path) {
                // Another writer may have put the same content there first: same name, same bytes.
                if !path.exists() {
                    return Err(io_error(&path)(e.error));
                }
            }
            sync_dir(&self.blob_dir)?;
        }
        // A blob the user was told is kept must survive power loss: Promised.
        self.record_blob(&sm3, scope, size, BlobState::Local, Durability::Promised)
    }

    /// [`Store::add_blob`] from bytes in memory.
    pub fn add_blob_bytes(&self, scope: &str, content: &[u8]) -> Result<BlobMeta, StoreError> {
        self.add_blob(scope, content)
    }

    /// [`Store::add_blob`] from a file (a scan the camera pipeline wrote, a PDF).
    pub fn add_blob_file(&self, scope: &str, path: &Path) -> Result<BlobMeta, StoreError> {
        let file = File::open(path).map_err(io_error(path))?;
        self.add_blob(scope, file)
    }

    /// Record that blob `sm3` (whose file is in place) belongs to `scope`, unless it already does; its row.
    fn record_blob(
        &self,
        sm3: &str,
        scope: &str,
        size: u64,
        state: BlobState,
        durability: Durability,
    ) -> Result<BlobMeta, StoreError> {
        let mut conn = self.conn();
        with_durability(&mut conn, durability, |tx| {
            let now = now_ms();
            tx.execute(
                "INSERT INTO blobs (sm3, scope, size, state, created_at_ms, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (sm3, scope) DO NOTHING",
                params![sm3, scope, size as i64, state.as_str(), now],
            )?;
            Ok(tx.query_row(
                &format!("{META_COLUMNS} WHERE sm3 = ?1 AND scope = ?2"),
                [sm3, scope],
                meta_row,
            )?)
        })
    }

    /// What the store knows of blob `sm3` in `scope`.
    pub fn blob(&self, sm3: &str, scope: &str) -> Result<Option<BlobMeta>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("{META_COLUMNS} WHERE sm3 = ?1 AND scope = ?2"),
                [sm3, scope],
                meta_row,
            )
            .optional()?)
    }

    /// Every blob row, oldest first.
    pub fn blobs(&self) -> Result<Vec<BlobMeta>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("{META_COLUMNS} ORDER BY created_at_ms, sm3"))?;
        let rows = stmt.query_map([], meta_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Blobs waiting for upload (`local` or `uploading`), oldest first.
    pub fn pending_blobs(&self) -> Result<Vec<BlobMeta>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{META_COLUMNS} WHERE state IN ('local', 'uploading') ORDER BY created_at_ms, sm3"
        ))?;
        let rows = stmt.query_map([], meta_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    pub fn set_blob_state(
        &self,
        sm3: &str,
        scope: &str,
        state: BlobState,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE blobs SET state = ?3, reason = ?4, updated_at_ms = ?5 WHERE sm3 = ?1 AND scope = ?2",
            params![sm3, scope, state.as_str(), reason, now_ms()],
        )?;
        Ok(())
    }

    /// The whole content of blob `sm3`, checked against its name (a damaged file is reported, never
    /// handed out as the scan).
    pub fn read_blob(&self, sm3: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.blob_path(sm3);
        let mut file = File::open(&path).map_err(io_error(&path))?;
        let mut bytes = Vec::new();
        let mut index = 0u32;
        loop {
            let sealed = read_sealed_chunk(&mut file, &path)?;
            if sealed.is_empty() {
                break;
            }
            bytes.extend_from_slice(&open_chunk(&self.key, sm3, index, &sealed)?);
            index += 1;
        }
        let got = banshi_crypto::sm3_hex(&bytes);
        if got != sm3 {
            return Err(StoreError::BlobHashMismatch {
                expected: sm3.to_string(),
                got,
            });
        }
        Ok(bytes)
    }

    /// Chunk `index` of blob `sm3` of `size` bytes, as the protocol cuts it (plaintext).
    pub fn read_blob_chunk(&self, sm3: &str, size: u64, index: u32) -> Result<Vec<u8>, StoreError> {
        let path = self.blob_path(sm3);
        let len = proto::blob_chunk_len(size, index).ok_or_else(|| StoreError::BlobIo {
            path: path.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("no chunk {index} in a {size}-byte blob"),
            ),
        })?;
        let mut file = File::open(&path).map_err(io_error(&path))?;
        file.seek(SeekFrom::Start(u64::from(index) * SEALED_CHUNK))
            .map_err(io_error(&path))?;
        let mut sealed = vec![0u8; len as usize + SEAL_OVERHEAD];
        file.read_exact(&mut sealed).map_err(io_error(&path))?;
        open_chunk(&self.key, sm3, index, &sealed)
    }

    /// Start or resume downloading blob `sm3` of `size` bytes: the partial file is cut back to its last
    /// whole chunk (a torn write never survives) and positioned at its end.
    pub fn begin_blob_download(&self, sm3: &str, size: u64) -> Result<BlobDownload, StoreError> {
        let dir = self.subdir(PARTIAL_DIR)?;
        let path = dir.join(sm3);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error(&path))?;
        let len = file.metadata().map_err(io_error(&path))?.len();
        // Only whole full chunks count; the last, shorter chunk of a blob is always fetched again.
        let chunks = (len / SEALED_CHUNK).min(size / proto::BLOB_CHUNK_BYTES);
        file.set_len(chunks * SEALED_CHUNK)
            .map_err(io_error(&path))?;
        file.seek(SeekFrom::Start(chunks * SEALED_CHUNK))
            .map_err(io_error(&path))?;
        Ok(BlobDownload {
            file,
            sm3: sm3.to_string(),
            key: self.key.clone(),
            have: chunks * proto::BLOB_CHUNK_BYTES,
            pending: Vec::new(),
        })
    }

    /// Finish a download: check the partial file against `sm3`, move it into place and record the blob
    /// as `synced` in `scope`. A mismatch (`blob.hash_mismatch`) or a chunk that does not decrypt
    /// (`store.decrypt`, a torn write) deletes the partial file, so the next attempt starts over rather
    /// than resuming from bad bytes.
    pub fn finish_blob_download(
        &self,
        sm3: &str,
        scope: &str,
        download: BlobDownload,
    ) -> Result<BlobMeta, StoreError> {
        let mut download = download;
        let partial = self.blob_dir.join(PARTIAL_DIR).join(sm3);
        // The last chunk is shorter than the others (or the only one, empty, of empty content).
        if !download.pending.is_empty() || download.have == 0 {
            download.write_pending(download.pending.len())?;
        }
        let BlobDownload { file, have, .. } = download;
        file.sync_all().map_err(io_error(&partial))?;
        drop(file);
        let mut hasher = Sm3Hasher::new();
        let mut reader = File::open(&partial).map_err(io_error(&partial))?;
        let mut index = 0u32;
        loop {
            let sealed = read_sealed_chunk(&mut reader, &partial)?;
            if sealed.is_empty() {
                break;
            }
            match open_chunk(&self.key, sm3, index, &sealed) {
                Ok(chunk) => hasher.update(&chunk),
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e);
                }
            }
            index += 1;
        }
        let got = hasher.finish_hex();
        if got != sm3 {
            let _ = std::fs::remove_file(&partial);
            return Err(StoreError::BlobHashMismatch {
                expected: sm3.to_string(),
                got,
            });
        }
        let path = self.blob_path(sm3);
        std::fs::rename(&partial, &path).map_err(io_error(&path))?;
        sync_dir(&self.blob_dir)?;
        // Downloaded content can be fetched again: Normal.
        self.record_blob(sm3, scope, have, BlobState::Synced, Durability::Normal)
    }

    /// Remove blob rows outside `keep_scopes`, the files no kept row refers to, and every partial
    /// download (they are only a cache, and their scope is not recorded). Returns how many rows went.
    pub(crate) fn purge_blobs_outside_scopes(
        &self,
        keep_scopes: &[String],
    ) -> Result<usize, StoreError> {
        let keep = serde_json::to_string(keep_scopes).unwrap_or_else(|_| "[]".into());
        let (removed, orphaned) = {
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            let removed = tx.execute(
                "DELETE FROM blobs WHERE scope NOT IN (SELECT value FROM json_each(?1))",
                [&keep],
            )?;
            tx.commit()?;
            let mut stmt = conn.prepare("SELECT DISTINCT sm3 FROM blobs")?;
            let kept: std::collections::HashSet<String> = stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let orphaned: Vec<PathBuf> = std::fs::read_dir(&self.blob_dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|entry| {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    (proto::valid_blob_id(&name) && !kept.contains(&name)).then(|| entry.path())
                })
                .collect();
            (removed, orphaned)
        };
        for path in orphaned {
            std::fs::remove_file(&path).map_err(io_error(&path))?;
        }
        let partial = self.blob_dir.join(PARTIAL_DIR);
        match std::fs::remove_dir_all(&partial) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&partial)(e)),
        }
        if removed > 0 {
            tracing::info!(removed, "removed blobs of scopes no longer held");
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_key;
    use banshi_core::ErrorCode;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("terminal.sqlite"), test_key()).expect("open");
        (dir, store)
    }

    fn content(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ (i >> 11) as u8)
            .collect()
    }

    #[test]
    fn an_added_blob_is_named_by_its_sm3_and_reads_back() {
        let (dir, store) = store();
        let data = content(3 * proto::BLOB_CHUNK_BYTES as usize + 17);
        let meta = store.add_blob_bytes("hall:x", &data).expect("add");
        assert_eq!(meta.sm3, banshi_crypto::sm3_hex(&data));
        assert_eq!(
            (meta.size, meta.state),
            (data.len() as u64, BlobState::Local)
        );
        assert!(dir.path().join("blobs").join(&meta.sm3).is_file());
        assert_eq!(store.read_blob(&meta.sm3).expect("read"), data);
        let last = store
            .read_blob_chunk(&meta.sm3, meta.size, 3)
            .expect("chunk");
        assert_eq!(last, &data[3 * proto::BLOB_CHUNK_BYTES as usize..]);
        assert_eq!(store.pending_blobs().expect("pending"), vec![meta.clone()]);
        // No temporary file is left behind.
        assert_eq!(
            std::fs::read_dir(dir.path().join("blobs").join(TMP_DIR))
                .expect("tmp")
                .count(),
            0
        );

        // The same content again: one file, one row, and a synced row stays synced.
        store
            .set_blob_state(&meta.sm3, "hall:x", BlobState::Synced, None)
            .expect("state");
        let again = store.add_blob_bytes("hall:x", &data).expect("again");
        assert_eq!(again.state, BlobState::Synced);
        assert!(store.pending_blobs().expect("pending").is_empty());
    }

    #[test]
    fn a_blob_over_the_limit_is_refused_and_leaves_nothing() {
        let (dir, store) = store();
        let too_big = std::io::repeat(7).take(proto::MAX_BLOB_BYTES + 1);
        let e = store.add_blob("hall:x", too_big).expect_err("too large");
        assert_eq!(e.code(), "blob.too_large");
        assert!(e.to_string().contains("64 MiB"), "{e}");
        assert!(store.blobs().expect("rows").is_empty());
        assert_eq!(
            std::fs::read_dir(dir.path().join("blobs").join(TMP_DIR))
                .expect("tmp")
                .count(),
            0
        );
    }

    #[test]
    fn a_damaged_blob_file_is_reported_not_returned() {
        let (_dir, store) = store();
        let meta = store.add_blob_bytes("hall:x", b"scan").expect("add");
        let path = store.blob_path(&meta.sm3);
        let mut sealed = std::fs::read(&path).expect("read");
        sealed[SEAL_OVERHEAD / 2] ^= 1;
        std::fs::write(&path, &sealed).expect("damage");
        let e = store.read_blob(&meta.sm3).expect_err("damaged");
        assert_eq!(e.code(), "store.decrypt");
        assert!(e.to_string().contains(&meta.sm3), "{e}");
        assert_eq!(
            store
                .read_blob_chunk(&meta.sm3, meta.size, 0)
                .expect_err("damaged chunk")
                .code(),
            "store.decrypt"
        );
        // Sealed properly but not the content its name says.
        let other = seal_chunk(&store.key, &meta.sm3, 0, b"scam").expect("seal");
        std::fs::write(&path, other).expect("replace");
        assert_eq!(
            store
                .read_blob(&meta.sm3)
                .expect_err("wrong content")
                .code(),
            "blob.hash_mismatch"
        );
    }

    #[test]
    fn blob_files_are_sealed_chunk_by_chunk_and_empty_content_works() {
        let (_dir, store) = store();
        let data = content(2 * CHUNK + 3);
        let meta = store.add_blob_bytes("hall:x", &data).expect("add");
        let on_disk = std::fs::read(store.blob_path(&meta.sm3)).expect("read");
        assert_eq!(on_disk.len(), data.len() + 3 * SEAL_OVERHEAD);
        assert!(!on_disk.windows(64).any(|w| w == &data[CHUNK..CHUNK + 64]));
        // Exactly whole chunks: no empty chunk after them.
        let whole = content(CHUNK);
        let meta = store.add_blob_bytes("hall:x", &whole).expect("add");
        assert_eq!(
            std::fs::metadata(store.blob_path(&meta.sm3))
                .expect("meta")
                .len(),
            SEALED_CHUNK
        );
        assert_eq!(store.read_blob(&meta.sm3).expect("read"), whole);
        let empty = store.add_blob_bytes("hall:x", b"").expect("empty");
        assert_eq!(empty.size, 0);
        assert!(store.read_blob(&empty.sm3).expect("read").is_empty());
        assert!(store
            .read_blob_chunk(&empty.sm3, 0, 0)
            .expect("chunk")
            .is_empty());
    }

    #[test]
    fn a_download_resumes_at_the_last_whole_chunk_and_is_verified() {
        let (dir, store) = store();
        let chunk = proto::BLOB_CHUNK_BYTES as usize;
        let data = content(2 * chunk + 5);
        let sm3 = banshi_crypto::sm3_hex(&data);
        let mut d = store
            .begin_blob_download(&sm3, data.len() as u64)
            .expect("begin");
        assert_eq!(d.have, 0);
        d.append(&data[..chunk]).expect("append");
        // Interrupted in the middle of the second chunk.
        d.append(&data[chunk..chunk + 100]).expect("append");
        drop(d);
        let mut d = store
            .begin_blob_download(&sm3, data.len() as u64)
            .expect("resume");
        assert_eq!(d.have, chunk as u64);
        d.append(&data[chunk..]).expect("append");
        let meta = store
            .finish_blob_download(&sm3, "hall:x", d)
            .expect("finish");
        assert_eq!(
            (meta.size, meta.state),
            (data.len() as u64, BlobState::Synced)
        );
        assert_eq!(store.read_blob(&sm3).expect("read"), data);
        assert!(!dir.path().join("blobs/.partial").join(&sm3).exists());

        // Bad bytes are not kept, and the next attempt starts from zero.
        let other = content(10);
        let other_sm3 = banshi_crypto::sm3_hex(&other);
        let mut d = store.begin_blob_download(&other_sm3, 10).expect("begin");
        d.append(b"0123456789").expect("append");
        let e = store
            .finish_blob_download(&other_sm3, "hall:x", d)
            .expect_err("mismatch");
        assert_eq!(e.code(), "blob.hash_mismatch");
        assert!(store.blob(&other_sm3, "hall:x").expect("meta").is_none());
        assert_eq!(
            store
                .begin_blob_download(&other_sm3, 10)
                .expect("again")
                .have,
            0
        );
    }

    #[test]
    fn purging_a_scope_removes_its_blobs_but_not_shared_content() {
        let (_dir, store) = store();
        let shared = store.add_blob_bytes("hall:a", b"shared").expect("add");
        store.add_blob_bytes("hall:b", b"shared").expect("add");
        let only_a = store.add_blob_bytes("hall:a", b"only a").expect("add");
        store
            .purge_outside_scopes(&["hall:b".to_string()])
            .expect("purge");
        assert!(store.blob_path(&shared.sm3).exists());
        assert!(!store.blob_path(&only_a.sm3).exists());
        assert_eq!(store.blobs().expect("rows").len(), 1);
        store.purge_outside_scopes(&[]).expect("purge all");
        assert!(!store.blob_path(&shared.sm3).exists());
        assert!(store.blobs().expect("rows").is_empty());
    }
}
