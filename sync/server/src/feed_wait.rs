//! Wake-ups for feed long-polls, per scope.
//!
//! A long-poll (`GET /sync/v1/feed?…&wait_ms=M`) waits for its scope to change. The storage announces every
//! committed save on one broadcast channel ([`ServerStorage::changes`]); waking every waiting request on
//! every save would cost a wake-up per terminal per save, so one dispatcher task per node reads the
//! channel and bumps a counter per scope that only that scope's waiters watch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{broadcast, watch};

use crate::storage::{Change, ServerStorage};

/// The scopes someone is waiting on, each with a change counter.
#[derive(Debug, Default)]
pub struct FeedWaiters {
    scopes: Mutex<HashMap<String, watch::Sender<u64>>>,
    dispatcher: OnceLock<()>,
}

/// One request waiting for one scope; stops counting as a waiter when dropped.
#[derive(Debug)]
pub struct ScopeWaiter {
    waiters: Arc<FeedWaiters>,
    scope: String,
    changed: Option<watch::Receiver<u64>>,
}

impl ScopeWaiter {
    /// Resolves when the scope changed (or may have) since this waiter was made or last woke. Never
    /// resolves once the storage has gone away.
    pub async fn changed(&mut self) {
        if let Some(rx) = self.changed.as_mut() {
            if rx.changed().await.is_ok() {
                return;
            }
        }
        std::future::pending::<()>().await
    }
}

impl Drop for ScopeWaiter {
    fn drop(&mut self) {
        self.changed = None;
        let mut scopes = self.waiters.lock();
        if scopes
            .get(&self.scope)
            .is_some_and(|tx| tx.receiver_count() == 0)
        {
            scopes.remove(&self.scope);
        }
    }
}

impl FeedWaiters {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<u64>>> {
        // The map holds no invariant a panic could break half-way.
        self.scopes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Start waiting for `scope`. Changes committed from now on wake the waiter, so subscribe first and
    /// read the feed second: nothing committed in between is missed.
    pub fn wait_for(
        self: &Arc<Self>,
        storage: &Arc<dyn ServerStorage>,
        scope: &str,
    ) -> ScopeWaiter {
        self.dispatcher.get_or_init(|| {
            // Subscribed here, before any waiter exists, and moved into the task: no announcement falls
            // between subscribing and the task starting.
            let changes = storage.changes();
            tokio::spawn(dispatch(Arc::downgrade(self), changes));
        });
        let rx = self
            .lock()
            .entry(scope.to_string())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        ScopeWaiter {
            waiters: Arc::clone(self),
            scope: scope.to_string(),
            changed: Some(rx),
        }
    }

    fn wake(&self, scope: &str) {
        if let Some(tx) = self.lock().get(scope) {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    fn wake_all(&self) {
        for tx in self.lock().values() {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

/// Forward the storage's announcements to the scopes' waiters until the storage or the waiters are gone.
async fn dispatch(waiters: std::sync::Weak<FeedWaiters>, mut changes: broadcast::Receiver<Change>) {
    loop {
        let change = changes.recv().await;
        let Some(waiters) = waiters.upgrade() else {
            return;
        };
        match change {
            Ok(Change::Scope(scope)) => waiters.wake(&scope),
            // Missed announcements: every waiter looks again.
            Ok(Change::Unknown) | Err(broadcast::error::RecvError::Lagged(_)) => waiters.wake_all(),
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
