//! Blob transfer on the terminal side: resumable upload and download of SM3-named content.
//!
//! Neither direction keeps transfer state of its own beyond what is durable anyway. An upload asks the
//! server which chunks it already holds and sends only the others, so calling [`SyncClient::upload_blob`]
//! again after any failure (a cut cable, a killed process, a server restart) continues where the server's
//! chunks end; a blob the server already holds for the scope costs one request. A download appends chunks
//! to a partial file in the store and resumes at its last whole chunk; the result is checked against its
//! SM3 before it becomes the blob. Progress is reported after every chunk as `(done_bytes, total_bytes)`.

use std::sync::Arc;

use banshi_store::{BlobMeta, BlobState, StoreError};
use banshi_sync_protocol as proto;

use crate::{blocking, SyncClient, SyncClientError};

/// Which way a blob is moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobDirection {
    Upload,
    Download,
}

/// One progress report of a blob transfer, for a terminal's UI.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BlobProgress {
    pub sm3: String,
    pub direction: BlobDirection,
    pub done_bytes: u64,
    pub total_bytes: u64,
}

/// Where [`SyncClient::sync_once`] reports the progress of the blobs it uploads.
pub type BlobProgressSink = Arc<dyn Fn(&BlobProgress) + Send + Sync>;

/// What one call of [`SyncClient::upload_blob`] or [`SyncClient::download_blob`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobTransfer {
    /// The blob's size.
    pub size: u64,
    /// Chunks this call moved (sent or received).
    pub chunks: u32,
    /// Content bytes this call moved, without HTTP overhead.
    pub bytes: u64,
    /// The other side already had the whole blob: nothing was moved.
    pub already_there: bool,
}

impl SyncClient {
    /// Upload blob `sm3` of `scope` from the store, sending only the chunks the server lacks, and have the
    /// server verify it. Marks the blob `synced` on success. Safe to call again after any error.
    pub async fn upload_blob(
        &self,
        sm3: &str,
        scope: &str,
        mut progress: impl FnMut(u64, u64) + Send,
    ) -> Result<BlobTransfer, SyncClientError> {
        let (store, id, sc) = (Arc::clone(&self.store), sm3.to_string(), scope.to_string());
        let meta = blocking(move || store.blob(&id, &sc))
            .await?
            .ok_or_else(|| StoreError::NotFound(sm3.to_string()))?;
        let size = meta.size;
        let (version, _) = self.conn.session().await?;
        let mut out = BlobTransfer {
            size,
            ..BlobTransfer::default()
        };

        let present = match self.conn.blob_status(version, sm3, scope).await? {
            Some(status) if status.complete => {
                self.set_blob_state(&meta, BlobState::Synced, None).await?;
                progress(size, size);
                out.already_there = true;
                return Ok(out);
            }
            Some(status) if status.size == size && status.chunk_size == proto::BLOB_CHUNK_BYTES => {
                status.chunks_present
            }
            // Another size was declared for this upload (a broken sender): our chunks start it over.
            Some(_) | None => Vec::new(),
        };
        if meta.state == BlobState::Local {
            self.set_blob_state(&meta, BlobState::Uploading, None)
                .await?;
        }
        let count = proto::blob_chunk_count(size);
        let mut done: u64 = present
            .iter()
            .filter_map(|i| proto::blob_chunk_len(size, *i))
            .sum();
        progress(done, size);
        for index in (0..count).filter(|i| present.binary_search(i).is_err()) {
            let (store, id) = (Arc::clone(&self.store), sm3.to_string());
            let chunk = blocking(move || store.read_blob_chunk(&id, size, index)).await?;
            let len = chunk.len() as u64;
            self.conn
                .put_blob_chunk(version, sm3, scope, size, index, chunk)
                .await?;
            out.chunks += 1;
            out.bytes += len;
            done += len;
            progress(done, size);
        }
        match self.conn.complete_blob(version, sm3, scope).await {
            Ok(_) => {}
            Err(e @ SyncClientError::Refused { .. }) if is_code(&e, "blob.hash_mismatch") => {
                // Either our file is damaged (then no retry can help: say so), or another terminal of the
                // scope sent bad chunks of the same blob at the same time (then the next attempt works).
                let (store, id) = (Arc::clone(&self.store), sm3.to_string());
                blocking(move || store.read_blob(&id)).await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        }
        self.set_blob_state(&meta, BlobState::Synced, None).await?;
        tracing::debug!(%sm3, size, chunks = out.chunks, "blob uploaded");
        Ok(out)
    }

    /// Download blob `sm3` of `scope` into the store, resuming a partial download, and verify it. A blob
    /// the store already has costs nothing.
    pub async fn download_blob(
        &self,
        sm3: &str,
        scope: &str,
        mut progress: impl FnMut(u64, u64) + Send,
    ) -> Result<BlobTransfer, SyncClientError> {
        if !proto::valid_blob_id(sm3) {
            return Err(SyncClientError::BadReply(format!(
                "{sm3:?} is not a blob id"
            )));
        }
        let (store, id, sc) = (Arc::clone(&self.store), sm3.to_string(), scope.to_string());
        let known = blocking(move || {
            Ok::<_, StoreError>(
                store
                    .blob(&id, &sc)?
                    .filter(|_| store.blob_path(&id).is_file()),
            )
        })
        .await?;
        if let Some(meta) = known {
            progress(meta.size, meta.size);
            return Ok(BlobTransfer {
                size: meta.size,
                already_there: true,
                ..BlobTransfer::default()
            });
        }
        let (version, _) = self.conn.session().await?;
        let status = match self.conn.blob_status(version, sm3, scope).await? {
            Some(status) if status.complete => status,
            Some(_) => {
                return Err(SyncClientError::Refused {
                    status: 409,
                    code: "blob.incomplete".into(),
                    message: format!("blob {sm3} is still being uploaded"),
                })
            }
            None => {
                return Err(SyncClientError::Refused {
                    status: 404,
                    code: "blob.unknown".into(),
                    message: format!("the server has no blob {sm3} in scope {scope}"),
                })
            }
        };
        let size = status.size;
        if size > proto::MAX_BLOB_BYTES || status.chunk_size != proto::BLOB_CHUNK_BYTES {
            return Err(SyncClientError::BadReply(format!(
                "blob {sm3}: size {size} or chunk size {} out of protocol",
                status.chunk_size
            )));
        }
        let (store, id) = (Arc::clone(&self.store), sm3.to_string());
        let mut download = blocking(move || store.begin_blob_download(&id, size)).await?;
        let mut out = BlobTransfer {
            size,
            ..BlobTransfer::default()
        };
        progress(download.have, size);
        let first = (download.have / proto::BLOB_CHUNK_BYTES) as u32;
        for index in first..proto::blob_chunk_count(size) {
            let chunk = self.conn.blob_chunk(version, sm3, scope, index).await?;
            let expected = proto::blob_chunk_len(size, index).unwrap_or_default();
            if chunk.len() as u64 != expected {
                return Err(SyncClientError::BadReply(format!(
                    "chunk {index} of blob {sm3} is {} bytes, not {expected}",
                    chunk.len()
                )));
            }
            out.chunks += 1;
            out.bytes += expected;
            download = blocking(move || {
                download.append(&chunk)?;
                Ok::<_, StoreError>(download)
            })
            .await?;
            progress(download.have, size);
        }
        let (store, id, sc) = (Arc::clone(&self.store), sm3.to_string(), scope.to_string());
        blocking(move || store.finish_blob_download(&id, &sc, download)).await?;
        tracing::debug!(%sm3, size, chunks = out.chunks, "blob downloaded");
        Ok(out)
    }

    /// Upload every pending blob (part of a sync pass). Returns (uploaded, refused). A refusal that will
    /// not change (too large, out of scope, a damaged local file) marks the blob refused and the pass goes
    /// on; losing the server ends the pass, and the next one resumes.
    pub(crate) async fn upload_pending_blobs(&self) -> Result<(usize, usize), SyncClientError> {
        let store = Arc::clone(&self.store);
        let pending = blocking(move || store.pending_blobs()).await?;
        let (mut uploaded, mut refused) = (0, 0);
        for meta in pending {
            let sink = self.blob_progress.clone();
            let sm3 = meta.sm3.clone();
            let report = move |done_bytes, total_bytes| {
                if let Some(sink) = &sink {
                    sink(&BlobProgress {
                        sm3: sm3.clone(),
                        direction: BlobDirection::Upload,
                        done_bytes,
                        total_bytes,
                    });
                }
            };
            match self.upload_blob(&meta.sm3, &meta.scope, report).await {
                Ok(_) => uploaded += 1,
                // Another terminal of the scope uploading the same blob at the same time (badly, or with
                // another size) spoiled this attempt; the next pass starts over.
                Err(e @ SyncClientError::Refused { .. })
                    if is_code(&e, "blob.hash_mismatch") || is_code(&e, "blob.incomplete") =>
                {
                    tracing::warn!(sm3 = %meta.sm3, error = %e, "blob upload collided with another; retrying next pass");
                }
                Err(e) if local_blob_unusable(&e) || e.is_refusal_of_document() => {
                    tracing::warn!(sm3 = %meta.sm3, error = %e, "blob refused");
                    self.set_blob_state(&meta, BlobState::Refused, Some(&e.to_string()))
                        .await?;
                    refused += 1;
                }
                Err(e) => return Err(e),
            }
        }
        Ok((uploaded, refused))
    }

    async fn set_blob_state(
        &self,
        meta: &BlobMeta,
        state: BlobState,
        reason: Option<&str>,
    ) -> Result<(), SyncClientError> {
        let (store, sm3, scope, reason) = (
            Arc::clone(&self.store),
            meta.sm3.clone(),
            meta.scope.clone(),
            reason.map(str::to_string),
        );
        blocking(move || store.set_blob_state(&sm3, &scope, state, reason.as_deref())).await
    }
}

/// The blob's file is missing or damaged: no retry can upload it.
fn local_blob_unusable(e: &SyncClientError) -> bool {
    matches!(
        e,
        SyncClientError::Store(
            StoreError::BlobIo { .. }
                | StoreError::BlobHashMismatch { .. }
                | StoreError::NotFound(_)
        )
    )
}

fn is_code(e: &SyncClientError, wanted: &str) -> bool {
    use banshi_core::ErrorCode;
    match e {
        SyncClientError::Refused { code, .. } => code == wanted,
        other => other.code() == wanted,
    }
}
