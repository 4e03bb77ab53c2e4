//! Official case numbers: the one piece of application logic the server owns.
//!
//! Terminals number their cases on their own (`KIOSK-01-20261124-0001`), so taking a case in never waits
//! for the network. The official number (year, item, per-item counter of the year) needs one counter for
//! the whole province, so only the central server gives it: when an application document reaches it
//! without one, [`number_case`] draws the next sequence from storage (atomic across PostgreSQL nodes),
//! writes the number into the document before it is saved, and the same sync exchange carries it back to
//! the terminal. A hall relay never numbers ([`crate::sync::SyncEngine::is_relay`]): its counter would
//! clash with the central one; it forwards the case and relays the number back down.
//!
//! Every number a case carries is indexed ([`index_case`]), so the acceptance platform can name a case by
//! either number without the server reading every application.

use automerge::{AutoCommit, ROOT};
use banshi_core::application::{official_number, Application};
use banshi_core::Clock;

use crate::storage::{ServerStorage, StorageError};

/// Give the application in `doc` its official number if it has none yet; returns the application as it
/// now stands, or `None` when the body is not a readable application (then it is saved as it came: the
/// terminal's next exchange, once it writes a readable body, gets the number).
pub(crate) async fn number_case(
    storage: &dyn ServerStorage,
    clock: &dyn Clock,
    doc_id: &str,
    doc: &mut AutoCommit,
) -> Result<Option<Application>, StorageError> {
    let mut app: Application = match autosurgeon::hydrate_prop(&*doc, ROOT, "body") {
        Ok(app) => app,
        Err(error) => {
            tracing::warn!(%doc_id, %error, "application body unreadable; not numbered");
            return Ok(None);
        }
    };
    if app.official_number.is_some() {
        return Ok(Some(app));
    }
    let year = clock.hall_now().year();
    let seq = storage.next_case_sequence(&app.item_code, year).await?;
    let number = official_number(year, &app.item_code, seq);
    app.official_number = Some(number.clone());
    if let Err(error) = autosurgeon::reconcile_prop(doc, ROOT, "body", &app) {
        // The sequence number is lost (numbers may have gaps); the case is numbered on its next exchange.
        tracing::error!(%doc_id, %error, "could not write the official number");
        app.official_number = None;
        return Ok(Some(app));
    }
    tracing::info!(%doc_id, official_number = %number, "case numbered");
    Ok(Some(app))
}

/// Remember every number `app` carries, so [`find_case`] finds it by either.
pub(crate) async fn index_case(
    storage: &dyn ServerStorage,
    doc_id: &str,
    scope: &str,
    app: &Application,
) -> Result<(), StorageError> {
    if !app.provisional_number.trim().is_empty() {
        storage
            .put_case_number(&app.provisional_number, doc_id, scope)
            .await?;
    }
    if let Some(official) = &app.official_number {
        storage.put_case_number(official, doc_id, scope).await?;
    }
    Ok(())
}

/// The `(doc_id, scope)` of the case `number` names. Provisional numbers are matched regardless of case,
/// like [`Application::has_number`] does on terminals (they are stored upper case).
pub async fn find_case(
    storage: &dyn ServerStorage,
    number: &str,
) -> Result<Option<(String, String)>, StorageError> {
    let number = number.trim();
    if number.is_empty() {
        return Ok(None);
    }
    if let Some(found) = storage.case_by_number(number).await? {
        return Ok(Some(found));
    }
    let upper = number.to_uppercase();
    if upper != number {
        return storage.case_by_number(&upper).await;
    }
    Ok(None)
}
