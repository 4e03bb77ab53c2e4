//! The terminal's devices, built from the profile's `[devices]` tables.
//!
//! Each device class has its own driver crate with a wire-level simulator (ESC/POS in `banshi-escpos`,
//! …). This crate is the seam between them and the terminal: it opens what the profile configures,
//! probes every configured device for its health — each on its own thread, so one slow device never
//! delays another's report — and offers the operations the terminal and the local device API call.
//! Drivers reopen their device on every use or probe, which is what makes hot-plug work: a reader
//! unplugged and plugged back in is `offline` for a probe or two and then `ok` again, with no restart.
//!
//! Operations block (serial ports, sockets, cameras); callers run them on a blocking thread.

mod a4;
mod cameras;
mod health;
mod id_reader;
mod peripherals;
pub mod templates;
mod thermal;
mod voice;

use std::sync::Mutex;

use banshi_core::ErrorCode;
use banshi_profile::Devices;

pub use cameras::PageCapture;
pub use health::{DeviceHealth, DeviceStatus};
pub use id_reader::IdCardView;
pub use thermal::{slip_from_spec, AlignSpec, SizeSpec, SlipLineSpec, ThermalRole};

use a4::A4Printer;
use cameras::CameraDevice;
use id_reader::IdReader;
use peripherals::{KeypadEvaluator, Scanner};
use thermal::ThermalPrinter;
use voice::VoiceDevice;

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no {0} is configured on this terminal")]
    NotConfigured(&'static str),
    #[error("the printer is out of paper")]
    PaperOut,
    #[error(transparent)]
    Printer(#[from] banshi_escpos::EscPosError),
    #[error(transparent)]
    Voice(#[from] banshi_voice::VoiceError),
    #[error(transparent)]
    IdCard(#[from] banshi_idcard::ReaderError),
    #[error(transparent)]
    Ipp(#[from] banshi_documents::PrintError),
    #[error(transparent)]
    Camera(#[from] banshi_camera::CameraError),
    #[error(transparent)]
    Face(#[from] banshi_camera::FaceError),
    #[error(transparent)]
    Scanner(#[from] banshi_scanner::ScannerError),
    #[error(transparent)]
    Evaluator(#[from] banshi_evaluator::EvaluatorError),
    #[error("nothing was scanned in time")]
    NoScan,
    /// The profile names the device, but it could not be set up (bad URL, unknown camera name, …).
    #[error("the {class} cannot be used: {why}")]
    Unusable { class: &'static str, why: String },
}

impl ErrorCode for DeviceError {
    fn code(&self) -> &'static str {
        match self {
            DeviceError::NotConfigured(_) => "device.not_configured",
            DeviceError::PaperOut => "printer.paper_out",
            DeviceError::Printer(e) => e.code(),
            DeviceError::Voice(e) => e.code(),
            DeviceError::IdCard(e) => e.code(),
            DeviceError::Ipp(e) => e.code(),
            DeviceError::Camera(e) => e.code(),
            DeviceError::Face(e) => e.code(),
            DeviceError::Scanner(e) => e.code(),
            DeviceError::Evaluator(e) => e.code(),
            DeviceError::NoScan => "scanner.no_scan",
            DeviceError::Unusable { .. } => "device.unusable",
        }
    }
}

impl DeviceError {
    /// The HTTP status that fits: the caller's mistake (4xx), a device that is not ready (503), or a
    /// device that failed (502).
    pub fn http_status(&self) -> u16 {
        match self {
            DeviceError::NotConfigured(_) => 404,
            DeviceError::PaperOut => 503,
            DeviceError::Printer(e) => match e {
                banshi_escpos::EscPosError::UnencodableText { .. }
                | banshi_escpos::EscPosError::QrTooLong { .. }
                | banshi_escpos::EscPosError::InvalidInput(_) => 400,
                banshi_escpos::EscPosError::Offline { .. } => 503,
                _ => 502,
            },
            DeviceError::Voice(e) => match e.code() {
                "voice.bad_ticket" | "voice.bad_window" | "voice.unknown_language" => 400,
                "voice.no_output" => 503,
                _ => 502,
            },
            DeviceError::IdCard(e) => match e.code() {
                // Nobody put a (new) card on the reader in time.
                "idcard.no_card" | "idcard.card_already_read" => 408,
                "idcard.offline" | "idcard.sam_fault" => 503,
                _ => 502,
            },
            DeviceError::NoScan => 408,
            DeviceError::Evaluator(e) => match e.code() {
                "evaluator.timeout" | "evaluator.cancelled" => 408,
                "evaluator.offline" => 503,
                _ => 502,
            },
            DeviceError::Camera(e) => match e.code() {
                // The page is not under the camera: the person can fix that.
                "camera.no_page" => 422,
                "camera.offline" => 503,
                _ => 502,
            },
            DeviceError::Face(e) => match e.code() {
                // Something the person in front of the camera can fix.
                "face.no_face" | "face.several_faces" | "face.too_small" | "face.too_blurry"
                | "face.bad_exposure" | "face.not_frontal" | "face.bad_image" => 422,
                "face.service_unreachable" | "face.service_timeout" => 503,
                _ => 502,
            },
            DeviceError::Ipp(e) => match e.code() {
                "ipp.unreachable" | "ipp.timeout" => 503,
                _ => 502,
            },
            DeviceError::Scanner(_) => 503,
            DeviceError::Unusable { .. } => 503,
        }
    }
}

/// How long the face comparison service may take to answer.
const FACE_SERVICE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Every device the profile configures.
#[derive(Debug)]
pub struct DeviceSet {
    ticket_printer: Option<ThermalPrinter>,
    receipt_printer: Option<ThermalPrinter>,
    voice: Option<VoiceDevice>,
    id_reader: Option<IdReader>,
    a4_printer: Option<A4Printer>,
    document_camera: Option<CameraDevice>,
    face_camera: Option<CameraDevice>,
    qr_scanner: Option<Scanner>,
    evaluator: Option<KeypadEvaluator>,
    /// 人证核验's comparison service (`devices.face_verification`), or why its client could not be made.
    face_comparer: Option<Result<banshi_camera::face::FaceComparer, String>>,
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
            receipt_printer: devices.receipt_printer.as_ref().map(ThermalPrinter::open),
            voice: devices.voice.as_ref().map(VoiceDevice::open),
            id_reader: devices.id_reader.as_ref().map(|reader| {
                let decoder = devices
                    .face_verification
                    .as_ref()
                    .map_or(&[][..], |f| &f.photo_decoder[..]);
                IdReader::open(reader, decoder)
            }),
            a4_printer: devices.a4_printer.as_ref().map(A4Printer::open),
            document_camera: devices.document_camera.as_ref().map(CameraDevice::open),
            face_camera: devices.face_camera.as_ref().map(CameraDevice::open),
            qr_scanner: devices.qr_scanner.as_ref().map(Scanner::open),
            evaluator: devices.evaluator.as_ref().map(KeypadEvaluator::open),
            face_comparer: devices.face_verification.as_ref().map(|f| {
                banshi_camera::face::FaceComparer::new(
                    &f.service,
                    f32::from(f.threshold),
                    FACE_SERVICE_TIMEOUT,
                )
                .map_err(|e| e.to_string())
            }),
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

    /// Probe one device class (blocking: talks to hardware). `None`: the device is busy serving someone, so
    /// its last status stands.
    fn probe(&self, class: &str) -> Option<(DeviceStatus, Option<String>)> {
        let missing = || {
            Some((
                DeviceStatus::Unknown,
                Some(format!("no driver for {class} in this build")),
            ))
        };
        let always = |probe: (DeviceStatus, Option<String>)| Some(probe);
        match class {
            "ticket_printer" => self
                .ticket_printer
                .as_ref()
                .map(ThermalPrinter::probe)
                .map_or_else(missing, always),
            "receipt_printer" => self
                .receipt_printer
                .as_ref()
                .map(ThermalPrinter::probe)
                .map_or_else(missing, always),
            "a4_printer" => self
                .a4_printer
                .as_ref()
                .map(A4Printer::probe)
                .map_or_else(missing, always),
            "voice" => self
                .voice
                .as_ref()
                .map(VoiceDevice::probe)
                .map_or_else(missing, always),
            // Devices a person may be using right now answer `None` while busy.
            "id_reader" => self
                .id_reader
                .as_ref()
                .map_or_else(missing, IdReader::probe),
            "document_camera" => self
                .document_camera
                .as_ref()
                .map_or_else(missing, CameraDevice::probe),
            "face_camera" => self
                .face_camera
                .as_ref()
                .map_or_else(missing, CameraDevice::probe),
            "qr_scanner" => self
                .qr_scanner
                .as_ref()
                .map_or_else(missing, Scanner::probe),
            "evaluator" => self
                .evaluator
                .as_ref()
                .map_or_else(missing, KeypadEvaluator::probe),
            _ => missing(),
        }
    }

    /// Ask every device how it is, all at once (blocking). Returns whether anything changed.
    pub fn refresh_health(&self) -> bool {
        let classes: Vec<String> = self.health().into_iter().map(|h| h.class).collect();
        let probes: Vec<Option<(DeviceStatus, Option<String>)>> = std::thread::scope(|scope| {
            let running: Vec<_> = classes
                .iter()
                .map(|class| scope.spawn(move || self.probe(class)))
                .collect();
            running
                .into_iter()
                .map(|probe| {
                    probe.join().unwrap_or(Some((
                        DeviceStatus::Degraded,
                        Some("the device probe failed".into()),
                    )))
                })
                .collect()
        });
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let mut changed = false;
        for (entry, probe) in health.iter_mut().zip(probes) {
            let Some((status, detail)) = probe else {
                continue;
            };
            if entry.status != status || entry.detail != detail {
                match status {
                    DeviceStatus::Ok => tracing::info!(class = %entry.class, "device ok"),
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

    fn thermal(&self, role: ThermalRole) -> Result<&ThermalPrinter, DeviceError> {
        match role {
            ThermalRole::Ticket => self.ticket_printer.as_ref(),
            ThermalRole::Receipt => self
                .receipt_printer
                .as_ref()
                .or(self.ticket_printer.as_ref()),
        }
        .ok_or(DeviceError::NotConfigured(match role {
            ThermalRole::Ticket => "ticket_printer",
            ThermalRole::Receipt => "receipt_printer",
        }))
    }

    /// Print a queue ticket (blocking).
    pub fn print_ticket(&self, ticket: &templates::TicketSlip) -> Result<(), DeviceError> {
        self.thermal(ThermalRole::Ticket)?
            .print(&templates::ticket_slip(ticket))
    }

    /// Print a slip described as JSON lines (the device API's `print/slip`).
    pub fn print_slip(&self, role: ThermalRole, lines: &[SlipLineSpec]) -> Result<(), DeviceError> {
        if lines.is_empty() {
            return Err(DeviceError::Printer(
                banshi_escpos::EscPosError::InvalidInput("a slip needs at least one line".into()),
            ));
        }
        self.thermal(role)?.print(&slip_from_spec(lines))
    }

    /// Wait up to `timeout` for a new ID card on the reader and read it.
    pub fn read_id_card(&self, timeout: std::time::Duration) -> Result<IdCardView, DeviceError> {
        self.id_reader
            .as_ref()
            .ok_or(DeviceError::NotConfigured("id_reader"))?
            .read(timeout)
    }

    /// Print a PDF on the A4 printer; returns the printer's job id.
    pub fn print_pdf(&self, pdf: &[u8], title: &str) -> Result<i32, DeviceError> {
        self.a4_printer
            .as_ref()
            .ok_or(DeviceError::NotConfigured("a4_printer"))?
            .print_pdf(pdf, title)
    }

    /// Photograph a page with the document camera and straighten it.
    pub fn capture_page(&self, black_white: bool) -> Result<PageCapture, DeviceError> {
        self.document_camera
            .as_ref()
            .ok_or(DeviceError::NotConfigured("document_camera"))?
            .capture_page(black_white)
    }

    /// A frame of the person at the face camera that passed the quality gate, as JPEG (blocking).
    pub fn capture_face(&self) -> Result<Vec<u8>, DeviceError> {
        self.face_camera
            .as_ref()
            .ok_or(DeviceError::NotConfigured("face_camera"))?
            .capture_face()
    }

    /// Compare the card photo (PNG) with the live photo (JPEG) at the hall's service (人证核验).
    pub async fn compare_faces(
        &self,
        card_photo: &[u8],
        live_photo: &[u8],
    ) -> Result<banshi_camera::face::FaceMatch, DeviceError> {
        let comparer = match &self.face_comparer {
            None => return Err(DeviceError::NotConfigured("face_verification")),
            Some(Err(why)) => {
                return Err(DeviceError::Unusable {
                    class: "face_verification",
                    why: why.clone(),
                })
            }
            Some(Ok(comparer)) => comparer,
        };
        Ok(comparer.compare(card_photo, live_photo).await?)
    }

    /// The next code from the scanner gun, waiting up to `wait`.
    pub fn next_scan(&self, wait: std::time::Duration) -> Result<String, DeviceError> {
        self.qr_scanner
            .as_ref()
            .ok_or(DeviceError::NotConfigured("qr_scanner"))?
            .next_scan(wait)?
            .ok_or(DeviceError::NoScan)
    }

    /// Light the evaluator and wait for a grade: (key 1–5, name such as `very_satisfied`).
    pub fn request_rating(
        &self,
        timeout: std::time::Duration,
    ) -> Result<(u8, &'static str), DeviceError> {
        self.evaluator
            .as_ref()
            .ok_or(DeviceError::NotConfigured("evaluator"))?
            .request_rating(timeout)
    }

    /// Call a ticket over the speakers ("请 A001 号到 5 号窗口办理"), `repeat` times. Returns once queued.
    pub fn announce(
        &self,
        ticket: &str,
        window: &str,
        language: Option<&str>,
        repeat: u8,
    ) -> Result<(), DeviceError> {
        self.voice
            .as_ref()
            .ok_or(DeviceError::NotConfigured("voice"))?
            .announce(ticket, window, language, repeat)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use banshi_escpos_sim::{PaperState, SimConfig, SimState, Simulator};
    use banshi_profile::{Camera, CutMode, EscPosPrinter, EscPosTransport};

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
