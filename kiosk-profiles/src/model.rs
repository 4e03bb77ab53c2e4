//! The typed kiosk profile.
//!
//! These types are the single source of truth for the profile's *shape*: serde reads them, and the
//! structural validator in [`crate::schema`] walks the JSON Schema that `schemars` derives from the
//! very same definitions (field names, `deny_unknown_fields`, defaults, the `kind` tag of a printer
//! transport, enum spellings and the numeric ranges written as `#[schemars(range(..))]`). Adding a
//! field here therefore updates parsing, validation and the exported schema at once. Rules that a
//! JSON Schema cannot express (character sets, URLs, cross-field and per-mode rules) live in
//! [`crate::rules`].
//!
//! Every struct denies unknown keys: a misspelt key in a profile pushed to hundreds of terminals
//! must be an error, not a silently ignored setting.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A complete kiosk profile: what one terminal is and which devices it drives.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Profile format version; must equal [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The run mode the terminal starts in.
    pub mode: Mode,
    /// Who this terminal is and where it stands.
    pub terminal: TerminalIdentity,
    /// Languages, accessibility defaults, idle reset and theme.
    #[serde(default)]
    pub ui: UiSettings,
    /// Sync endpoint; absent means the terminal runs standalone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncSettings>,
    /// Queue categories and ticket options.
    #[serde(default)]
    pub queue: QueueSettings,
    /// Hall devices, one optional entry per device class.
    #[serde(default)]
    pub devices: Devices,
    /// The local device service / JS SDK.
    #[serde(default)]
    pub sdk: SdkSettings,
    /// Kiosk lockdown options.
    #[serde(default)]
    pub lockdown: Lockdown,
    /// Staff login, keys at rest and how long personal data stays on this terminal.
    #[serde(default)]
    pub security: SecuritySettings,
    /// Pushed profiles (which admin keys to trust), rollout tags and heartbeats.
    #[serde(default)]
    pub fleet: FleetSettings,
}

/// The run mode named by a profile (brief §2).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// 自助模式: full-screen self-service kiosk.
    SelfService,
    /// 取号机: queue ticket machine.
    QueueTicket,
    /// 叫号屏: call screen.
    CallScreen,
    /// 窗口模式: the clerk's desk.
    Window,
    /// 上门/帮办代办: field staff laptop, offline-first, no queue.
    Field,
    /// 办公模式: hosts the hall's existing B/S web systems.
    Office,
    /// 后台模式: no window, the local device service only.
    Background,
    /// Admin console.
    Admin,
}

impl Mode {
    /// Every mode, in declaration order.
    pub const ALL: [Mode; 8] = [
        Mode::SelfService,
        Mode::QueueTicket,
        Mode::CallScreen,
        Mode::Window,
        Mode::Field,
        Mode::Office,
        Mode::Background,
        Mode::Admin,
    ];

    /// The spelling used in profiles, e.g. `"self-service"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Mode::SelfService => "self-service",
            Mode::QueueTicket => "queue-ticket",
            Mode::CallScreen => "call-screen",
            Mode::Window => "window",
            Mode::Field => "field",
            Mode::Office => "office",
            Mode::Background => "background",
            Mode::Admin => "admin",
        }
    }

    /// Modes whose window is full screen and locked down: self-service, queue-ticket, call-screen.
    pub fn opens_full_screen(&self) -> bool {
        matches!(
            self,
            Mode::SelfService | Mode::QueueTicket | Mode::CallScreen
        )
    }

    /// Every mode but `background` opens a window.
    pub fn has_window(&self) -> bool {
        !matches!(self, Mode::Background)
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who the terminal is; shown in the page chrome (当前网点, 设备ID, 故障电话) and sent in heartbeats.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminalIdentity {
    /// Device ID: `[A-Za-z0-9_-]`, 1 to 64 characters.
    pub id: String,
    /// Human label, e.g. "1号取号机".
    pub label: String,
    /// Current outlet (当前网点), e.g. "海口市龙华区政务服务中心".
    pub outlet: String,
    /// Hall identifier: same character set as `id`.
    pub hall_id: String,
    /// Fault hotline (故障电话) shown in the footer.
    pub fault_hotline: String,
}

/// Languages, accessibility defaults and idle reset.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UiSettings {
    /// Enabled UI languages, from `zh-CN`, `en`, `ug`.
    pub languages: Vec<String>,
    /// Language a fresh session starts in; must be one of `languages`.
    pub default_language: String,
    /// Start sessions in elder mode (large text, slower flows).
    pub elder_mode: bool,
    /// Start sessions with voice guidance on.
    pub voice_guidance: bool,
    /// Seconds without input before the session is wiped and the home page shown.
    #[schemars(range(min = 10, max = 3600))]
    pub idle_timeout_secs: u32,
    /// UI theme name.
    pub theme: String,
    /// Window mode: open the customer-facing screen (窗口互动屏: confirmation, signature, rating) as a second
    /// window on this monitor, counted from 0 (the desk's own screen). Absent: no customer screen; other modes
    /// ignore it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 7))]
    pub customer_screen_monitor: Option<u8>,
}

impl Default for UiSettings {
    fn default() -> Self {
        UiSettings {
            languages: vec!["zh-CN".to_owned(), "en".to_owned()],
            default_language: "zh-CN".to_owned(),
            elder_mode: false,
            voice_guidance: false,
            idle_timeout_secs: 120,
            theme: "default".to_owned(),
            customer_screen_monitor: None,
        }
    }
}

/// Where and how often the terminal syncs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    /// Sync server or hall relay base URL, `http://` or `https://`.
    pub server: String,
    /// Milliseconds between sync rounds.
    #[serde(default = "default_sync_interval_ms")]
    #[schemars(range(min = 200, max = 3_600_000))]
    pub interval_ms: u64,
    /// Where an export bundle is written for removable media (field laptops); default: `bundles/` in the
    /// terminal's data folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_dir: Option<String>,
}

fn default_sync_interval_ms() -> u64 {
    1000
}

/// Queue categories and ticket options.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct QueueSettings {
    /// Business categories, each with a one-letter ticket prefix.
    pub categories: Vec<QueueCategory>,
    /// Age (from the ID card's birth date) from which a ticket gets elderly priority.
    #[schemars(range(min = 50, max = 100))]
    pub elderly_priority_age: u8,
    /// Base URL printed in the ticket QR for mobile follow-up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_url_base: Option<String>,
    /// Window mode: the number of the window this desk is (the hall set-up says which categories it serves).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 999))]
    pub window: Option<u32>,
    /// Window mode: how many recalls before the clerk may mark a ticket as a no-show (过号).
    #[schemars(range(min = 0, max = 9))]
    pub recalls_before_no_show: u8,
    /// Call-screen mode: address on the hall LAN where the plain call page for TVs is served (`/tv`), e.g.
    /// `0.0.0.0:8090`. Absent = no TV page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tv_listen: Option<String>,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            categories: Vec::new(),
            elderly_priority_age: 65,
            follow_url_base: None,
            window: None,
            recalls_before_no_show: 2,
            tv_listen: None,
        }
    }
}

/// One business category of the queue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueCategory {
    /// Ticket prefix: one uppercase ASCII letter, unique within the profile.
    pub code: String,
    /// Category name per language; `zh-CN` is required.
    pub name: LocalizedText,
    /// Window numbers serving this category.
    #[serde(default)]
    pub windows: Vec<u32>,
}

/// Text in several languages, keyed by language tag; `zh-CN` is always present in a valid profile.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(transparent)]
pub struct LocalizedText(pub BTreeMap<String, String>);

impl LocalizedText {
    /// The text for `lang`, falling back to `zh-CN` (and to `""` if even that is missing, which
    /// validation rules out).
    pub fn get(&self, lang: &str) -> &str {
        self.0
            .get(lang)
            .or_else(|| self.0.get("zh-CN"))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// The hall devices this terminal drives; absent means "this terminal has none".
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Devices {
    /// Thermal ticket printer (ESC/POS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_printer: Option<EscPosPrinter>,
    /// Thermal receipt printer (ESC/POS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_printer: Option<EscPosPrinter>,
    /// A4 printer through CUPS/IPP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a4_printer: Option<IppPrinter>,
    /// ID card reader (SAM module, serial).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_reader: Option<SerialDevice>,
    /// QR / barcode scanner gun.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_scanner: Option<QrScanner>,
    /// Keypad evaluator (评价器, serial).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluator: Option<SerialDevice>,
    /// Document camera (高拍仪).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_camera: Option<Camera>,
    /// Face camera.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face_camera: Option<Camera>,
    /// Voice calling from recorded clips.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<Voice>,
    /// 人证核验 at a self-service kiosk: before a case starts, the face camera's photo is compared 1:1 with the
    /// ID card's photo by the hall's comparison service. Needs `id_reader` and `face_camera`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face_verification: Option<FaceVerification>,
}

/// One configured device, flattened for listings (`banshi devices`, heartbeats).
///
/// Serialize only: `class` borrows a `'static` field name, which cannot be deserialized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfiguredDevice {
    /// The device class: the field name in [`Devices`], e.g. `"ticket_printer"`.
    pub class: &'static str,
    /// The driver that serves it, e.g. `"escpos-tcp"`.
    pub driver: String,
    /// Where it is: address, path, URL or port, human readable.
    pub target: String,
}

impl Devices {
    /// One entry per configured device, in the field order of [`Devices`].
    pub fn configured(&self) -> Vec<ConfiguredDevice> {
        let mut out = Vec::new();
        let mut push = |class: &'static str, (driver, target): (String, String)| {
            out.push(ConfiguredDevice {
                class,
                driver,
                target,
            })
        };
        if let Some(p) = &self.ticket_printer {
            push("ticket_printer", p.driver_and_target());
        }
        if let Some(p) = &self.receipt_printer {
            push("receipt_printer", p.driver_and_target());
        }
        if let Some(p) = &self.a4_printer {
            push("a4_printer", ("ipp".to_owned(), p.url.clone()));
        }
        if let Some(d) = &self.id_reader {
            push("id_reader", d.driver_and_target("idcard"));
        }
        if let Some(s) = &self.qr_scanner {
            push("qr_scanner", (format!("qr-{}", s.kind), s.device.clone()));
        }
        if let Some(d) = &self.evaluator {
            push("evaluator", d.driver_and_target("evaluator"));
        }
        if let Some(c) = &self.document_camera {
            push("document_camera", c.driver_and_target());
        }
        if let Some(c) = &self.face_camera {
            push("face_camera", c.driver_and_target());
        }
        if let Some(v) = &self.voice {
            push(
                "voice",
                (
                    "voice-clips".to_owned(),
                    format!("{} ({})", v.clips, v.language),
                ),
            );
        }
        out
    }
}

/// An ESC/POS thermal printer (tickets, receipts).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EscPosPrinter {
    /// How bytes reach the printer.
    pub transport: EscPosTransport,
    /// Paper cut after each ticket.
    #[serde(default)]
    pub cut: CutMode,
    /// Paper width in millimetres: 58 or 80.
    #[serde(default = "default_paper_width_mm")]
    #[schemars(range(min = 58, max = 80))]
    pub paper_width_mm: u8,
}

fn default_paper_width_mm() -> u8 {
    80
}

impl EscPosPrinter {
    fn driver_and_target(&self) -> (String, String) {
        match &self.transport {
            EscPosTransport::Tcp { address } => ("escpos-tcp".to_owned(), address.clone()),
            EscPosTransport::File { path } => ("escpos-file".to_owned(), path.clone()),
            EscPosTransport::Serial { port, baud } => {
                ("escpos-serial".to_owned(), format!("{port} @ {baud} baud"))
            }
        }
    }
}

/// How bytes reach an ESC/POS printer; `kind` selects the variant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum EscPosTransport {
    /// Raw TCP, usually port 9100.
    Tcp {
        /// `host:port`.
        address: String,
    },
    /// A file or device node (`/dev/usb/lp0`), or a capture file for tests.
    File {
        /// Path to write to.
        path: String,
    },
    /// A serial port.
    Serial {
        /// Serial port, e.g. `/dev/ttyUSB0` or `COM3`.
        port: String,
        /// Baud rate.
        #[schemars(range(min = 300, max = 4_000_000))]
        baud: u32,
    },
}

/// Paper cut after a ticket or receipt.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CutMode {
    /// Cut through.
    Full,
    /// Leave a small bridge (the usual for tickets).
    #[default]
    Partial,
    /// Do not cut.
    None,
}

/// An A4 printer reached through CUPS/IPP.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IppPrinter {
    /// Printer URL: `ipp://`, `ipps://`, `http://` or `https://`.
    pub url: String,
}

/// A device on a serial port (ID card reader, keypad evaluator).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SerialDevice {
    /// Serial port, e.g. `/dev/ttyUSB0` or `COM3`.
    pub port: String,
    /// Baud rate.
    #[serde(default = "default_baud")]
    #[schemars(range(min = 300, max = 4_000_000))]
    pub baud: u32,
    /// Talk to the wire-level simulator instead of hardware.
    #[serde(default)]
    pub simulated: bool,
}

/// The hall's face comparison service and how the card photo is decoded for it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaceVerification {
    /// Base URL of the comparison service (`POST /compare`, `GET /health`), `http://` or `https://`.
    pub service: String,
    /// Similarity (0–100) from which the two photos are the same person; 70 is the common vendor default.
    #[serde(default = "default_face_threshold")]
    #[schemars(range(min = 1, max = 100))]
    pub threshold: u8,
    /// The ID reader vendor's WLT photo converter: the program, then its arguments, where `{wlt}` is the card
    /// photo it reads and `{out}` the picture (BMP or PNG) it writes. Without one the card photo is unknown and
    /// no comparison can be made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photo_decoder: Vec<String>,
}

fn default_face_threshold() -> u8 {
    70
}

fn default_baud() -> u32 {
    115_200
}

impl SerialDevice {
    fn driver_and_target(&self, family: &str) -> (String, String) {
        let flavour = if self.simulated {
            "simulated"
        } else {
            "serial"
        };
        (
            format!("{family}-{flavour}"),
            format!("{} @ {} baud", self.port, self.baud),
        )
    }
}

/// A QR / barcode scanner gun.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QrScanner {
    /// `"hid"` (read the input device directly) or `"serial"`.
    pub kind: String,
    /// Input device path (`/dev/input/by-id/...`) or serial port.
    pub device: String,
}

/// A camera: a V4L2/UVC device, or `file:DIR` for a source fed from image files.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// `/dev/video0`, a platform camera name, or `file:DIR`.
    pub device: String,
}

impl Camera {
    fn driver_and_target(&self) -> (String, String) {
        match self.device.strip_prefix("file:") {
            Some(dir) => ("camera-files".to_owned(), dir.to_owned()),
            None => ("uvc".to_owned(), self.device.clone()),
        }
    }
}

/// Voice calling from recorded clips.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Voice {
    /// Folder of recorded clip sets, one sub-folder per language (`zh-CN/manifest.toml`, …).
    pub clips: String,
    /// Language of the announcements.
    pub language: String,
    /// Where announcements go: `"speaker"` (the sound card, through paplay/aplay) or `"wav:DIR"` (WAV files,
    /// for a demo hall without speakers or for diagnosis).
    #[serde(default = "default_voice_output")]
    pub output: String,
}

fn default_voice_output() -> String {
    "speaker".to_owned()
}

/// The local device service (localhost HTTP + WebSocket) and its JS SDK.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SdkSettings {
    /// Web origins allowed to call the device API, e.g. `http://10.1.2.3:8080` (no path).
    pub allowed_origins: Vec<String>,
    /// Minutes a device-API session may sit unused before its token stops working.
    #[serde(default = "default_session_idle_minutes")]
    #[schemars(range(min = 1, max = 1440))]
    pub session_idle_minutes: u32,
}

impl Default for SdkSettings {
    fn default() -> Self {
        Self {
            allowed_origins: Vec::new(),
            session_idle_minutes: default_session_idle_minutes(),
        }
    }
}

fn default_session_idle_minutes() -> u32 {
    15
}

/// Kiosk lockdown options.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Lockdown {
    /// Verifier of the admin PIN that unlocks a full-screen terminal (`pbkdf2-sm3$…`, made by
    /// `banshi lockdown pin-hash`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_pin_hash: Option<String>,
    /// Swallow OS shortcuts (Alt+Tab, Ctrl+Alt+F1, ...).
    pub block_shortcuts: bool,
}

/// Fleet management (brief §7): profiles pushed by the fleet's admins, groups and heartbeats.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FleetSettings {
    /// SM2 public keys (hex SEC1 uncompressed, 130 characters) of the fleet admins whose signed profiles this
    /// terminal applies. Empty: the terminal applies no pushed profile.
    pub trusted_keys: Vec<String>,
    /// Tags that put the terminal into rollout groups, e.g. `floor-1`: same character set as `terminal.id`.
    pub tags: Vec<String>,
    /// Seconds between heartbeats to the sync server.
    #[schemars(range(min = 1, max = 3600))]
    pub heartbeat_secs: u32,
    /// Admin consoles: the file holding the fleet admin's SM2 signing key (`banshi fleet keygen`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_key_file: Option<String>,
    /// Admin consoles: minutes without a heartbeat after which the fleet view flags a terminal offline.
    #[schemars(range(min = 1, max = 1440))]
    pub offline_after_minutes: u32,
}

impl Default for FleetSettings {
    fn default() -> Self {
        Self {
            trusted_keys: Vec::new(),
            tags: Vec::new(),
            heartbeat_secs: 30,
            signing_key_file: None,
            offline_after_minutes: 5,
        }
    }
}

/// Staff login, the key that protects data at rest, and retention (brief §3.5, §6).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SecuritySettings {
    /// File holding the key-encryption key that unlocks this terminal's data key. Must lie outside the data
    /// folder. Absent: `$CREDENTIALS_DIRECTORY/banshi-kek` under systemd, else `<data>/../keys/<data>.kek`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    /// Failed staff logins (within `lock_minutes`) after which the account is locked on this terminal.
    #[schemars(range(min = 3, max = 10))]
    pub max_login_failures: u32,
    /// Minutes a locked account stays locked.
    #[schemars(range(min = 1, max = 1440))]
    pub lock_minutes: u32,
    /// Days after which a staff password must be changed; 0 = never.
    #[schemars(range(min = 0, max = 3650))]
    pub password_max_age_days: u32,
    /// Minutes a staff session may sit unused before the staff member must log in again.
    #[schemars(range(min = 1, max = 480))]
    pub session_idle_minutes: u32,
    /// Days a resident's personal data stays on this terminal once it is synced. Absent: 1 on
    /// self-service, queue-ticket and call-screen terminals, 30 on windows, 90 on field laptops, otherwise 30.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 3650))]
    pub retention_days: Option<u32>,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            key_file: None,
            max_login_failures: 5,
            lock_minutes: 15,
            password_max_age_days: 90,
            session_idle_minutes: 15,
            retention_days: None,
        }
    }
}

impl SecuritySettings {
    /// Days personal data stays after syncing on a terminal in `mode` (the setting, else the mode's default).
    pub fn retention_days_for(&self, mode: Mode) -> u32 {
        self.retention_days.unwrap_or(match mode {
            Mode::SelfService | Mode::QueueTicket | Mode::CallScreen => 1,
            Mode::Field => 90,
            _ => 30,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_spellings_match_serde() {
        for mode in Mode::ALL {
            let json = serde_json::to_string(&mode).expect("serialize mode");
            assert_eq!(json, format!("\"{}\"", mode.as_str()));
        }
    }

    #[test]
    fn mode_window_flags() {
        let full: Vec<_> = Mode::ALL.iter().filter(|m| m.opens_full_screen()).collect();
        assert_eq!(
            full,
            [&Mode::SelfService, &Mode::QueueTicket, &Mode::CallScreen]
        );
        assert!(!Mode::Background.has_window());
        assert!(Mode::ALL
            .iter()
            .filter(|m| **m != Mode::Background)
            .all(Mode::has_window));
    }

    #[test]
    fn localized_text_falls_back_to_chinese() {
        let mut map = BTreeMap::new();
        map.insert("zh-CN".to_owned(), "个人业务".to_owned());
        map.insert("en".to_owned(), "Personal services".to_owned());
        let text = LocalizedText(map);
        assert_eq!(text.get("en"), "Personal services");
        assert_eq!(text.get("ug"), "个人业务");
        assert_eq!(LocalizedText::default().get("en"), "");
    }

    #[test]
    fn configured_devices_in_field_order() {
        let devices = Devices {
            ticket_printer: Some(EscPosPrinter {
                transport: EscPosTransport::Tcp {
                    address: "127.0.0.1:9100".to_owned(),
                },
                cut: CutMode::Partial,
                paper_width_mm: 80,
            }),
            id_reader: Some(SerialDevice {
                port: "/dev/ttyUSB0".to_owned(),
                baud: 115_200,
                simulated: true,
            }),
            document_camera: Some(Camera {
                device: "file:/var/lib/banshi/frames".to_owned(),
            }),
            voice: Some(Voice {
                clips: "/usr/share/banshi/voice/zh-CN".to_owned(),
                language: "zh-CN".to_owned(),
                output: "speaker".to_owned(),
            }),
            ..Devices::default()
        };
        let got: Vec<_> = devices
            .configured()
            .into_iter()
            .map(|d| (d.class, d.driver, d.target))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "ticket_printer",
                    "escpos-tcp".to_owned(),
                    "127.0.0.1:9100".to_owned()
                ),
                (
                    "id_reader",
                    "idcard-simulated".to_owned(),
                    "/dev/ttyUSB0 @ 115200 baud".to_owned()
                ),
                (
                    "document_camera",
                    "camera-files".to_owned(),
                    "/var/lib/banshi/frames".to_owned()
                ),
                (
                    "voice",
                    "voice-clips".to_owned(),
                    "/usr/share/banshi/voice/zh-CN (zh-CN)".to_owned()
                ),
            ]
        );
    }
}
