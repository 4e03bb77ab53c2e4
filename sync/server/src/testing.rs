//! Scratch PostgreSQL databases for tests and measurements: this crate's story suite and the hall scenarios
//! create one per test, so tests run in parallel against one PostgreSQL and leave nothing behind.
//!
//! Tests that need PostgreSQL fail (never skip) when none answers, with a message saying how to point them
//! at one: a suite that silently skips its PostgreSQL half would hide exactly the bugs it exists for.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use tokio_postgres::NoTls;

/// The variable naming the PostgreSQL tests connect to (any database there; they create their own).
pub const POSTGRES_ENV: &str = "BANSHI_TEST_POSTGRES";
/// Where tests look when [`POSTGRES_ENV`] is unset: the local server `cargo xtask test` starts.
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The URL of the PostgreSQL tests use.
pub fn admin_url() -> String {
    std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES.to_string())
}

/// A database created for one test, dropped (best effort) when this value is.
#[derive(Debug)]
pub struct ScratchDatabase {
    url: String,
    admin_url: String,
    name: String,
}

impl ScratchDatabase {
    /// Create `banshi_test_<random>` on the PostgreSQL [`POSTGRES_ENV`] names.
    ///
    /// # Panics
    /// When PostgreSQL cannot be reached or refuses, with a message saying how to point tests at one.
    pub async fn create() -> Self {
        let admin_url = admin_url();
        let name = format!("banshi_test_{:016x}", random_u64());
        let created = async {
            let client = connect(&admin_url).await?;
            client
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .await
        }
        .await;
        if let Err(error) = created {
            panic!(
                "PostgreSQL tests need a PostgreSQL server, and {shown} did not work: {error} ({cause}).\n\
                 Run `cargo xtask test` (it installs and starts PostgreSQL when missing), or start one and set \
                 {POSTGRES_ENV}=postgres://USER@HOST:PORT/DB naming a role that may CREATE DATABASE.",
                shown = crate::storage::redact_url(&admin_url),
                cause = std::error::Error::source(&error)
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            );
        }
        Self {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        }
    }

    /// The URL of the scratch database, for [`crate::storage::open`].
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop often runs on a runtime thread (the end of a #[tokio::test]), where blocking on a future is
        // not allowed; a thread with its own runtime may block. `FORCE` ends the storages' connections.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime
                .block_on(async {
                    connect(&admin_url)
                        .await?
                        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await
                })
                .ok()
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            tracing::warn!(database = %self.name, "could not drop a scratch database");
        }
    }
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = url.parse()?;
    config.connect_timeout(Duration::from_secs(5));
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Random enough for database names: std's hasher keys are random per process, and the clock and a
/// counter separate calls within one.
fn random_u64() -> u64 {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    hasher.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_urls_name_the_scratch_database() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "t2"),
            "postgresql://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5433", "t3"),
            "postgres://h:5433/t3"
        );
    }
}
