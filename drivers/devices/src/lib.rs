//! The terminal's devices, built from the profile's `[devices]` tables.
//!
//! Each device class has its own driver crate (ESC/POS in `banshi-escpos`; ID card reader, cameras, QR,
//! evaluator and voice arrive with the devices issue). This crate is the seam between them and the
//! terminal: it opens what the profile configures, reports health for every configured device — including
//! classes this build cannot drive yet, which report `unknown` rather than pretending to work — and renders
//! print templates (what goes on a ticket) into the printer-agnostic slip model.

mod health;
pub mod templates;

use std::sync::Mutex;
use std::time::Duration;

use banshi_core::ErrorCode;
use banshi_escpos::{EncodeOptions, PaperStatus, Printer, Transport};
use banshi_profile::{CutMode, Devices, EscPosPrinter, EscPosTransport};

pub use health::{DeviceHealth, DeviceStatus};

/// How long a printer may take to accept a connection or bytes before it counts as offline.
const PRINTER_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no {0} is configured on this terminal")]
    NotConfigured(&'static str),
    #[error("the {class} cannot be driven by this build ({driver})")]
    Unsupported { class: &'static str, driver: String },
    #[error("the printer is out of paper")]
    PaperOut,
    #[error(transparent)]
    Printer(#[from] banshi_escpos::EscPosError),
}

impl ErrorCode for DeviceError {
    fn code(&self) -> &'static str {
        match self {
            DeviceError::NotConfigured(_) => "device.not_configured",
            DeviceError::Unsupported { .. } => "device.unsupported",
            DeviceError::PaperOut => "printer.paper_out",
            DeviceError::Printer(e) => e.code(),
        }
    }
}

/// An ESC/POS printer as configured.
#[derive(Debug)]
struct ThermalPrinter {
    printer: Option<Printer>,
    options: EncodeOptions,
    driver: String,
}

impl ThermalPrinter {
    fn open(config: &EscPosPrinter) -> Self {
        let (printer, driver) = match &config.transport {
            EscPosTransport::Tcp { address } => (
                Some(Printer::new(Transport::Tcp {
                    address: address.clone(),
                    timeout: PRINTER_TIMEOUT,
                })),
                "escpos-tcp",
            ),
            EscPosTransport::File { path } => (
                Some(Printer::new(Transport::File { path: path.into() })),
                "escpos-file",
            ),
            // Serial ESC/POS arrives with the devices issue; until then the printer reports `unknown`.
            EscPosTransport::Serial { .. } => (None, "escpos-serial"),
        };
        let cut = match config.cut {
            CutMode::Full => banshi_escpos::CutMode::Full,
            CutMode::Partial => banshi_escpos::CutMode::Partial,
            CutMode::None => banshi_escpos::CutMode::None,
        };
        Self {
            printer,
            options: EncodeOptions {
                cut,
                paper_width_mm: config.paper_width_mm,
            },
            driver: driver.into(),
        }
    }
}

/// Every device the profile configures.
#[derive(Debug)]
pub struct DeviceSet {
    ticket_printer: Option<ThermalPrinter>,
    health: Mutex<Vec<DeviceHealth>>,
}

impl DeviceSet {
    pub fn from_profile(devices: &Devices) -> Self {
        let health = devices
            .configured()
            .into_iter()
            .map(|d| DeviceHealth::new(d.class, &d.driver, &d.target, DeviceStatus::Unknown, None))
            .collect();
        Self {
            ticket_printer: devices.ticket_printer.as_ref().map(ThermalPrinter::open),
            health: Mutex::new(health),
        }
    }

    /// The last known health of every configured device.
    pub fn health(&self) -> Vec<DeviceHealth> {
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Ask every device how it is (blocking: talks to hardware). Returns whether anything changed.
    pub fn refresh_health(&self) -> bool {
        let ticket = self.ticket_printer.as_ref().map(probe_printer);
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let mut changed = false;
        for entry in health.iter_mut() {
            let (status, detail) = match (entry.class.as_str(), &ticket) {
                ("ticket_printer", Some(probe)) => probe.clone(),
                _ => (
                    DeviceStatus::Unknown,
                    Some(format!("driver {} is not in this build yet", entry.driver)),
                ),
            };
            if entry.status != status || entry.detail != detail {
                match status {
                    DeviceStatus::Ok => tracing::info!(class = %entry.class, "device ok"),
                    // A class this build cannot drive yet is not a fault of the device.
                    DeviceStatus::Unknown => {
                        tracing::debug!(class = %entry.class, detail = detail.as_deref().unwrap_or(""), "device status unknown")
                    }
                    _ => {
                        tracing::warn!(class = %entry.class, ?status, detail = detail.as_deref().unwrap_or(""), "device fault")
                    }
                }
                entry.status = status;
                entry.detail = detail;
                changed = true;
            }
        }
        changed
    }

    /// Print a queue ticket (blocking). Refuses before sending anything when the printer reports no paper.
    pub fn print_ticket(&self, ticket: &templates::TicketSlip) -> Result<(), DeviceError> {
        let printer = self
            .ticket_printer
            .as_ref()
            .ok_or(DeviceError::NotConfigured("ticket_printer"))?;
        let driver = printer
            .printer
            .as_ref()
            .ok_or_else(|| DeviceError::Unsupported {
                class: "ticket_printer",
                driver: printer.driver.clone(),
            })?;
        if driver.paper_status()? == PaperStatus::Out {
            return Err(DeviceError::PaperOut);
        }
        let bytes = banshi_escpos::encode(&templates::ticket_slip(ticket), &printer.options)?;
        driver.print(&bytes)?;
        Ok(())
    }
}

fn probe_printer(printer: &ThermalPrinter) -> (DeviceStatus, Option<String>) {
    let Some(driver) = &printer.printer else {
        return (
            DeviceStatus::Unknown,
            Some(format!(
                "driver {} is not in this build yet",
                printer.driver
            )),
        );
    };
    match driver.paper_status() {
        Ok(PaperStatus::Ok) => (DeviceStatus::Ok, None),
        Ok(PaperStatus::NearEnd) => (DeviceStatus::PaperLow, None),
        Ok(PaperStatus::Out) => (DeviceStatus::PaperOut, None),
        Ok(PaperStatus::Unknown) => (DeviceStatus::Unknown, None),
        Err(e) => (DeviceStatus::Offline, Some(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use banshi_escpos_sim::{PaperState, SimConfig, SimState, Simulator};
    use banshi_profile::{Camera, EscPosPrinter};

    fn devices_with_printer_at(address: String) -> Devices {
        Devices {
            ticket_printer: Some(EscPosPrinter {
                transport: EscPosTransport::Tcp { address },
                cut: CutMode::Partial,
                paper_width_mm: 80,
            }),
            document_camera: Some(Camera {
                device: "/dev/video0".into(),
            }),
            ..Devices::default()
        }
    }

    fn status_of(set: &DeviceSet, class: &str) -> DeviceStatus {
        set.health()
            .into_iter()
            .find(|h| h.class == class)
            .map(|h| h.status)
            .expect("configured")
    }

    fn slip() -> templates::TicketSlip {
        templates::TicketSlip {
            outlet: "海口市龙华区政务服务中心".into(),
            number: "A007".into(),
            category_name: "个人业务".into(),
            people_ahead_line: "前面还有 2 人等候".into(),
            issued_at_line: "取号时间 2026-11-23 09:41".into(),
            follow_url: "http://127.0.0.1:8300/q/abc".into(),
            scan_hint: "扫码查看排队进度".into(),
            notice: "请留意叫号".into(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn health_follows_the_printers_paper_sensor_and_unsupported_classes_say_unknown() {
        let sim = Simulator::start("127.0.0.1:0", SimState::new(SimConfig::default()))
            .await
            .expect("sim");
        let set = Arc::new(DeviceSet::from_profile(&devices_with_printer_at(
            sim.local_addr().to_string(),
        )));
        let refresh = |set: Arc<DeviceSet>| async move {
            tokio::task::spawn_blocking(move || set.refresh_health()).await
        };

        assert!(refresh(Arc::clone(&set)).await.expect("refresh"));
        assert_eq!(status_of(&set, "ticket_printer"), DeviceStatus::Ok);
        assert_eq!(status_of(&set, "document_camera"), DeviceStatus::Unknown);

        sim.set_paper(PaperState::NearEnd);
        assert!(refresh(Arc::clone(&set)).await.expect("refresh"));
        assert_eq!(status_of(&set, "ticket_printer"), DeviceStatus::PaperLow);
        assert!(
            !refresh(Arc::clone(&set)).await.expect("refresh"),
            "nothing changed the second time"
        );

        sim.shutdown();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        refresh(Arc::clone(&set)).await.expect("refresh");
        assert_eq!(status_of(&set, "ticket_printer"), DeviceStatus::Offline);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_ticket_reaches_the_printer_as_gb18030_text_and_a_native_qr() {
        let sim = Simulator::start("127.0.0.1:0", SimState::new(SimConfig::default()))
            .await
            .expect("sim");
        let set = Arc::new(DeviceSet::from_profile(&devices_with_printer_at(
            sim.local_addr().to_string(),
        )));
        let printing = Arc::clone(&set);
        tokio::task::spawn_blocking(move || printing.print_ticket(&slip()))
            .await
            .expect("join")
            .expect("print");
        let jobs = sim
            .wait_for_jobs(1, std::time::Duration::from_secs(10))
            .await
            .expect("job");
        // 个 in GB18030 is B8 F6: the bytes on the wire are GB18030, not UTF-8.
        assert!(jobs[0].bytes.windows(2).any(|w| w == [0xB8, 0xF6]));
        assert!(
            jobs[0].text.contains("A007")
                && jobs[0].text.contains("[QR: http://127.0.0.1:8300/q/abc]")
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn printing_with_no_paper_is_refused_before_any_bytes_are_sent() {
        let sim = Simulator::start("127.0.0.1:0", SimState::new(SimConfig::default()))
            .await
            .expect("sim");
        sim.set_paper(PaperState::Out);
        let set = Arc::new(DeviceSet::from_profile(&devices_with_printer_at(
            sim.local_addr().to_string(),
        )));
        let err = tokio::task::spawn_blocking(move || set.print_ticket(&slip()))
            .await
            .expect("join")
            .expect_err("no paper");
        assert_eq!(err.code(), "printer.paper_out");
    }
}
