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

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use banshi_crypto::Sm3Hasher;
use banshi_sync_protocol as proto;
use rusqlite::{params, OptionalExtension};

use crate::store::{now_ms, with_durability, Durability, Store, StoreError};

const TMP_DIR: &str = ".tmp";
const PARTIAL_DIR: &str = ".partial";
const COPY_BUFFER: usize = 64 * 1024;

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
#[derive(Debug)]
pub struct BlobDownload {
    file: File,
    /// Bytes already there from earlier attempts (a whole number of chunks).
    pub have: u64,
}

impl BlobDownload {
    /// Append the next chunk. The caller sends chunks in order, starting at `have / BLOB_CHUNK_BYTES`.
    pub fn append(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        self.file
            .write_all(chunk)
            .map_err(|source| StoreError::BlobIo {
                path: "partial download".into(),
                source,
            })?;
        self.have += chunk.len() as u64;
        Ok(())
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
    pub fn add_blob(&self, scope: &str, mut content: impl Read) -> Result<BlobMeta, StoreError> {
        let tmp_dir = self.subdir(TMP_DIR)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&tmp_dir).map_err(io_error(&tmp_dir))?;
        let mut hasher = Sm3Hasher::new();
        let mut size: u64 = 0;
        let mut buf = vec![0u8; COPY_BUFFER];
        loop {
            let n = match content.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(StoreError::BlobIo {
                        path: "blob source".into(),
                        source,
                    })
                }
            };
            size += n as u64;
            if size > proto::MAX_BLOB_BYTES {
                // Dropping `tmp` removes the partial copy.
                return Err(StoreError::BlobTooLarge);
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n]).map_err(io_error(tmp.path()))?;
        }
        tmp.as_file().sync_all().map_err(io_error(tmp.path()))?;
        let sm3 = hasher.finish_hex();
        let path = self.blob_path(&sm3);
        if !path.exists() {
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
        let bytes = std::fs::read(&path).map_err(io_error(&path))?;
        let got = banshi_crypto::sm3_hex(&bytes);
        if got != sm3 {
            return Err(StoreError::BlobHashMismatch {
                expected: sm3.to_string(),
                got,
            });
        }
        Ok(bytes)
    }

    /// Chunk `index` of blob `sm3` of `size` bytes, as the protocol cuts it.
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
        file.seek(SeekFrom::Start(u64::from(index) * proto::BLOB_CHUNK_BYTES))
            .map_err(io_error(&path))?;
        let mut chunk = vec![0u8; len as usize];
        file.read_exact(&mut chunk).map_err(io_error(&path))?;
        Ok(chunk)
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
        let have = (len - len % proto::BLOB_CHUNK_BYTES).min(size - size % proto::BLOB_CHUNK_BYTES);
        file.set_len(have).map_err(io_error(&path))?;
        file.seek(SeekFrom::Start(have)).map_err(io_error(&path))?;
        Ok(BlobDownload { file, have })
    }

    /// Finish a download: check the partial file against `sm3`, move it into place and record the blob
    /// as `synced` in `scope`. A mismatch deletes the partial file (`blob.hash_mismatch`), so the next
    /// attempt starts over rather than resuming from bad bytes.
    pub fn finish_blob_download(
        &self,
        sm3: &str,
        scope: &str,
        download: BlobDownload,
    ) -> Result<BlobMeta, StoreError> {
        let BlobDownload { file, have } = download;
        let partial = self.blob_dir.join(PARTIAL_DIR).join(sm3);
        file.sync_all().map_err(io_error(&partial))?;
        drop(file);
        let mut hasher = Sm3Hasher::new();
        let mut reader = File::open(&partial).map_err(io_error(&partial))?;
        let mut buf = vec![0u8; COPY_BUFFER];
        loop {
            let n = reader.read(&mut buf).map_err(io_error(&partial))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
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
    use banshi_core::ErrorCode;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("terminal.sqlite")).expect("open");
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
        std::fs::write(store.blob_path(&meta.sm3), b"scam").expect("damage");
        assert_eq!(
            store.read_blob(&meta.sm3).expect_err("damaged").code(),
            "blob.hash_mismatch"
        );
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
