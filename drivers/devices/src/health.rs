//! Device health as the UI, the heartbeat and installers see it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    Ok,
    Degraded,
    Offline,
    PaperLow,
    PaperOut,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceHealth {
    /// The profile's device class, e.g. `ticket_printer`.
    pub class: String,
    pub driver: String,
    /// Address, path or URL, human-readable.
    pub target: String,
    pub status: DeviceStatus,
    pub detail: Option<String>,
}

impl DeviceHealth {
    pub fn new(
        class: &str,
        driver: &str,
        target: &str,
        status: DeviceStatus,
        detail: Option<String>,
    ) -> Self {
        Self {
            class: class.into(),
            driver: driver.into(),
            target: target.into(),
            status,
            detail,
        }
    }
}
