//! Retention: residents' personal data leaves a terminal once the server has it and the profile's number of
//! days has passed (brief §6; a self-service kiosk keeps a day by default, a window a month, a field laptop
//! three months). Records not yet synced are never removed — this terminal holds the only copy — and the
//! server keeps everything, so removing here forgets a local copy, not the record.

use std::sync::Arc;

use banshi_core::appointment::Appointment;
use banshi_core::queue::{hall_day, Ticket};
use banshi_store::SyncStatus;

use super::{blocking, Terminal, TerminalError};

impl Terminal {
    /// Forget synced tickets and appointments (which carry names and ID numbers) whose hall day is more than
    /// the retention period ago. Returns how many records were removed.
    pub async fn purge_expired_personal_data(&self) -> Result<usize, TerminalError> {
        let days = self
            .profile()
            .security
            .retention_days_for(self.profile().mode);
        let cutoff = hall_day(self.clock.now() - time::Duration::days(i64::from(days)));
        let mut expired: Vec<String> = self
            .records::<Ticket>()
            .await?
            .into_iter()
            .filter(|(r, s)| *s == SyncStatus::Synced && r.body.day < cutoff)
            .map(|(r, _)| r.header.id)
            .collect();
        expired.extend(
            self.records::<Appointment>()
                .await?
                .into_iter()
                .filter(|(r, s)| *s == SyncStatus::Synced && r.body.date < cutoff)
                .map(|(r, _)| r.header.id),
        );
        if expired.is_empty() {
            return Ok(0);
        }
        let store = Arc::clone(&self.store);
        let removed = blocking(move || store.forget_synced(&expired)).await?;
        tracing::info!(removed, days, "personal data past retention removed");
        Ok(removed)
    }
}
