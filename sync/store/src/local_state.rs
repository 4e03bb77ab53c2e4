//! Small values a terminal keeps for itself and never syncs: its id for audit rows, the audit export cursor,
//! login failure counters. Plain key/value rows in `local_state`, not records, because they belong to this
//! terminal alone and must not travel to other peers.

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::{now_ms, Store, StoreError};

impl Store {
    /// The value kept under `key`, if any.
    pub fn local_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        get(&self.conn(), key)
    }

    /// Keep `value` under `key`, replacing what was there.
    pub fn local_put(&self, key: &str, value: &str) -> Result<(), StoreError> {
        put(&self.conn(), key, value)
    }
}

pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM local_state WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

pub(crate) fn put(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO local_state (key, value, updated_at_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms",
        params![key, value, now_ms()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Store;

    #[test]
    fn local_values_are_replaced_and_survive_reopening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("terminal.sqlite");
        {
            let store = Store::open(&path, crate::store::test_key()).expect("open");
            assert_eq!(store.local_get("login.failures.s-1").expect("get"), None);
            store.local_put("login.failures.s-1", "1").expect("put");
            store.local_put("login.failures.s-1", "2").expect("put");
        }
        let store = Store::open(&path, crate::store::test_key()).expect("reopen");
        assert_eq!(
            store
                .local_get("login.failures.s-1")
                .expect("get")
                .as_deref(),
            Some("2")
        );
    }
}
