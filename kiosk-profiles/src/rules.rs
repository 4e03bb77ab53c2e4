//! Semantic rules: what a JSON Schema cannot say about a profile.
//!
//! The rules run on a *typed view*: each section deserialized on its own from the document with
//! structurally broken values removed (see [`crate::schema`]). So a wrong type in `[ui]` does not
//! hide a bad printer address in `[devices]`, and rules get real Rust values with defaults
//! applied instead of re-reading TOML. Positions come from the original document, by key path.
//!
//! Mode rules (reported at the `mode` value, code `profile.mode_requirement`):
//! - full-screen modes (`self-service`, `queue-ticket`, `call-screen`) need
//!   `lockdown.admin_pin_hash`: the admin gesture + PIN is the only way out of a locked kiosk (and the
//!   value must be a `banshi_crypto` PIN verifier, code `profile.bad_pin_hash`, wherever it appears);
//! - `queue-ticket` needs at least one `[[queue.categories]]` and a `[devices.ticket_printer]`;
//! - `window` needs `queue.window`, the number of the window the desk calls for;
//! - `call-screen`, `window` and `admin` need `[sync]`: a call screen shows calls made at other
//!   terminals, a window serves tickets issued by the queue machine, and the admin console pushes
//!   profiles and hall set-up through sync. `field` is offline-first and `queue-ticket` issues
//!   tickets from its own disjoint range, so both run without sync;
//! - `office` and `background` need at least one `sdk.allowed_origins` entry: hosting the hall's
//!   web systems with device access is what those modes are for.

use std::collections::{BTreeSet, HashMap};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use crate::error::codes;
use crate::model::{
    Camera, Devices, EscPosPrinter, EscPosTransport, FaceVerification, FleetSettings, IppPrinter,
    Lockdown, Mode, QrScanner, QueueSettings, SdkSettings, SerialDevice, SyncSettings,
    TerminalIdentity, UiSettings, Voice,
};
use crate::source::{Finding, KeyPath, Locator};
use crate::text::{excerpt, quoted_list};
use crate::{SCHEMA_VERSION, SUPPORTED_LANGUAGES};

/// The sections of a profile that deserialized after pruning; `None` = absent-and-required or
/// still broken.
pub(crate) struct View {
    schema_version: Option<u32>,
    mode: Option<Mode>,
    terminal: Option<TerminalIdentity>,
    ui: Option<UiSettings>,
    sync: Option<SyncSettings>,
    queue: Option<QueueSettings>,
    devices: Devices,
    sdk: Option<SdkSettings>,
    lockdown: Option<Lockdown>,
    fleet: Option<FleetSettings>,
}

fn typed<T: DeserializeOwned>(value: &Spanned<DeValue<'_>>) -> Option<T> {
    T::deserialize(ValueDeserializer::from(value.clone())).ok()
}

impl View {
    /// Deserialize each section of the pruned document on its own.
    pub(crate) fn from_pruned(root: &DeTable<'_>) -> View {
        fn required<T: DeserializeOwned>(root: &DeTable<'_>, key: &str) -> Option<T> {
            root.get(key).and_then(typed)
        }
        fn defaulted<T: DeserializeOwned + Default>(table: &DeTable<'_>, key: &str) -> Option<T> {
            match table.get(key) {
                None => Some(T::default()),
                Some(value) => typed(value),
            }
        }
        let mut devices = Devices::default();
        if let Some(DeValue::Table(table)) = root.get("devices").map(Spanned::get_ref) {
            let get = |key: &str| table.get(key);
            devices.ticket_printer = get("ticket_printer").and_then(typed::<EscPosPrinter>);
            devices.receipt_printer = get("receipt_printer").and_then(typed::<EscPosPrinter>);
            devices.a4_printer = get("a4_printer").and_then(typed::<IppPrinter>);
            devices.id_reader = get("id_reader").and_then(typed::<SerialDevice>);
            devices.qr_scanner = get("qr_scanner").and_then(typed::<QrScanner>);
            devices.evaluator = get("evaluator").and_then(typed::<SerialDevice>);
            devices.document_camera = get("document_camera").and_then(typed::<Camera>);
            devices.face_camera = get("face_camera").and_then(typed::<Camera>);
            devices.voice = get("voice").and_then(typed::<Voice>);
            devices.face_verification =
                get("face_verification").and_then(typed::<FaceVerification>);
        }
        View {
            schema_version: required(root, "schema_version"),
            mode: required(root, "mode"),
            terminal: required(root, "terminal"),
            ui: defaulted(root, "ui"),
            sync: root.get("sync").and_then(typed),
            queue: defaulted(root, "queue"),
            devices,
            sdk: defaulted(root, "sdk"),
            lockdown: defaulted(root, "lockdown"),
            fleet: defaulted(root, "fleet"),
        }
    }
}

/// Run every rule; findings are positioned in the original (unpruned) document.
pub(crate) fn check(
    view: &View,
    original: &Spanned<DeTable<'_>>,
    pruned: &BTreeSet<KeyPath>,
) -> Vec<Finding> {
    let mut rules = Rules {
        loc: Locator::new(original),
        pruned,
        findings: Vec::new(),
    };
    rules.schema_version(view);
    rules.terminal(view);
    rules.ui(view);
    rules.sync(view);
    rules.queue(view);
    rules.devices(&view.devices);
    rules.sdk(view);
    rules.lockdown(view);
    rules.fleet(view);
    rules.mode(view);
    rules.findings
}

struct Rules<'a, 'i> {
    loc: Locator<'a, 'i>,
    pruned: &'a BTreeSet<KeyPath>,
    findings: Vec<Finding>,
}

impl Rules<'_, '_> {
    fn report(&mut self, path: KeyPath, code: &'static str, message: String) {
        self.findings.push(Finding {
            span: self.loc.span(&path),
            path,
            code,
            message,
        });
    }

    /// Report at `at`'s position but name `path` as the key concerned.
    fn report_at(&mut self, at: &KeyPath, path: KeyPath, code: &'static str, message: String) {
        self.findings.push(Finding {
            span: self.loc.span(at),
            path,
            code,
            message,
        });
    }

    /// Whether anything at or below `path` was removed as structurally broken.
    fn touched(&self, path: &KeyPath) -> bool {
        self.pruned.iter().any(|p| p.starts_with(path))
    }

    /// The document path of element `typed_index` of a typed array: elements removed by pruning
    /// shift indexes, so count only the survivors.
    fn element(&self, array: &KeyPath, typed_index: usize) -> KeyPath {
        let raw_len = match self.loc.get(array).map(Spanned::get_ref) {
            Some(DeValue::Array(items)) => items.len(),
            _ => 0,
        };
        let raw = (0..raw_len)
            .filter(|i| !self.pruned.contains(&array.index(*i)))
            .nth(typed_index)
            .unwrap_or(typed_index);
        array.index(raw)
    }

    /// Whether the document has a non-empty value at `path` (a value of the wrong type counts as
    /// present: the structural pass already reported it).
    fn present_nonempty(&self, path: &KeyPath) -> bool {
        match self.loc.get(path).map(Spanned::get_ref) {
            None => false,
            Some(DeValue::Array(items)) => !items.is_empty(),
            Some(DeValue::Table(table)) => !table.is_empty() || self.touched(path),
            Some(_) => true,
        }
    }

    fn not_blank(&mut self, path: KeyPath, value: &str) {
        if value.trim().is_empty() {
            self.report(
                path.clone(),
                codes::EMPTY_VALUE,
                format!("`{path}` must not be empty"),
            );
        }
    }

    /// `lang` must be a supported language; `at_key` when the tag is a key (a localized text)
    /// rather than a value.
    fn language(&mut self, path: KeyPath, lang: &str, at_key: bool) {
        if SUPPORTED_LANGUAGES.contains(&lang) {
            return;
        }
        let message = format!(
            "`{path}`: unknown language {}; supported: {}",
            excerpt(lang),
            quoted_list(SUPPORTED_LANGUAGES)
        );
        let span = if at_key {
            self.loc.key_span(&path)
        } else {
            self.loc.span(&path)
        };
        self.findings.push(Finding {
            span,
            path,
            code: codes::UNKNOWN_LANGUAGE,
            message,
        });
    }

    fn url(&mut self, path: KeyPath, value: &str, schemes: &[&str]) {
        if let Err(why) = check_url(value, schemes) {
            self.report(
                path.clone(),
                codes::BAD_URL,
                format!("`{path}` = {} is not a valid URL: {why}", excerpt(value)),
            );
        }
    }

    fn schema_version(&mut self, view: &View) {
        if let Some(version) = view.schema_version {
            if version != SCHEMA_VERSION {
                self.report(
                    KeyPath::of("schema_version"),
                    codes::SCHEMA_VERSION,
                    format!(
                        "`schema_version` = {version} is not supported; this build reads version {SCHEMA_VERSION}"
                    ),
                );
            }
        }
    }

    fn terminal(&mut self, view: &View) {
        let Some(terminal) = &view.terminal else {
            return;
        };
        let base = KeyPath::of("terminal");
        for (key, value) in [("id", &terminal.id), ("hall_id", &terminal.hall_id)] {
            if !is_identifier(value) {
                let path = base.key(key);
                self.report(
                    path.clone(),
                    codes::BAD_IDENTIFIER,
                    format!(
                        "`{path}` = {} must be 1 to 64 characters of A-Z, a-z, 0-9, `-` and `_`",
                        excerpt(value)
                    ),
                );
            }
        }
        self.not_blank(base.key("label"), &terminal.label);
        self.not_blank(base.key("outlet"), &terminal.outlet);
        if !is_phone(&terminal.fault_hotline) {
            let path = base.key("fault_hotline");
            self.report(
                path.clone(),
                codes::BAD_PHONE,
                format!(
                    "`{path}` = {} must be a phone number: digits, spaces, `+`, `-`, `(`, `)`",
                    excerpt(&terminal.fault_hotline)
                ),
            );
        }
    }

    fn ui(&mut self, view: &View) {
        let Some(ui) = &view.ui else {
            return;
        };
        let languages = KeyPath::of("ui.languages");
        if ui.languages.is_empty() {
            self.report(
                languages.clone(),
                codes::EMPTY_LIST,
                "`ui.languages` must list at least one language".to_owned(),
            );
        }
        let mut seen: HashMap<&str, KeyPath> = HashMap::new();
        for (i, lang) in ui.languages.iter().enumerate() {
            let path = self.element(&languages, i);
            self.language(path.clone(), lang, false);
            if let Some(first) = seen.get(lang.as_str()) {
                let message = format!("`{path}`: language {lang:?} is already listed at `{first}`");
                self.report(path, codes::DUPLICATE_LANGUAGE, message);
            } else {
                seen.insert(lang, path);
            }
        }
        let default = KeyPath::of("ui.default_language");
        if !self.touched(&languages)
            && !self.touched(&default)
            && !ui.languages.is_empty()
            && !ui.languages.contains(&ui.default_language)
        {
            let at = if self.loc.has(&default) {
                default.clone()
            } else {
                languages.clone()
            };
            self.report_at(
                &at,
                default,
                codes::DEFAULT_LANGUAGE,
                format!(
                    "`ui.default_language` = {:?} is not one of `ui.languages` ({})",
                    ui.default_language,
                    quoted_list(ui.languages.iter().map(String::as_str))
                ),
            );
        }
        self.not_blank(KeyPath::of("ui.theme"), &ui.theme);
    }

    fn sync(&mut self, view: &View) {
        if let Some(sync) = &view.sync {
            self.url(KeyPath::of("sync.server"), &sync.server, &["http", "https"]);
            if let Some(dir) = &sync.bundle_dir {
                self.not_blank(KeyPath::of("sync.bundle_dir"), dir);
            }
        }
    }

    fn queue(&mut self, view: &View) {
        let Some(queue) = &view.queue else {
            return;
        };
        if let Some(url) = &queue.follow_url_base {
            self.url(
                KeyPath::of("queue.follow_url_base"),
                url,
                &["http", "https"],
            );
        }
        if let Some(listen) = &queue.tv_listen {
            if let Err(why) = check_socket_address(listen) {
                self.report(
                    KeyPath::of("queue.tv_listen"),
                    codes::BAD_ADDRESS,
                    format!(
                        "`queue.tv_listen` = {} is not a `host:port` address: {why}",
                        excerpt(listen)
                    ),
                );
            }
        }
        let categories = KeyPath::of("queue.categories");
        let mut codes_seen: HashMap<&str, KeyPath> = HashMap::new();
        for (i, category) in queue.categories.iter().enumerate() {
            let base = self.element(&categories, i);
            let code_path = base.key("code");
            let mut letters = category.code.chars();
            let one_letter = matches!((letters.next(), letters.next()), (Some(c), None) if c.is_ascii_uppercase());
            if !one_letter {
                self.report(
                    code_path.clone(),
                    codes::CATEGORY_CODE,
                    format!(
                        "`{code_path}` = {} must be one uppercase letter A-Z (the ticket prefix)",
                        excerpt(&category.code)
                    ),
                );
            } else if let Some(first) = codes_seen.get(category.code.as_str()) {
                let message = format!(
                    "`{code_path}`: category code {:?} is already used by `{first}`",
                    category.code
                );
                self.report(code_path, codes::DUPLICATE_CATEGORY, message);
            } else {
                codes_seen.insert(&category.code, base.clone());
            }

            let name = base.key("name");
            if !category.name.0.contains_key("zh-CN") {
                self.report(
                    name.clone(),
                    codes::MISSING_TRANSLATION,
                    format!("`{name}` needs a `zh-CN` entry (the fallback for every language)"),
                );
            }
            for (lang, text) in &category.name.0 {
                self.language(name.key(lang), lang, true);
                self.not_blank(name.key(lang), text);
            }

            let windows = base.key("windows");
            let mut windows_seen: HashMap<u32, KeyPath> = HashMap::new();
            for (j, window) in category.windows.iter().enumerate() {
                let path = self.element(&windows, j);
                if *window == 0 {
                    let message = format!("`{path}` = 0: window numbers start at 1");
                    self.report(path, codes::OUT_OF_RANGE, message);
                } else if let Some(first) = windows_seen.get(window) {
                    let message =
                        format!("`{path}`: window {window} is already listed at `{first}`");
                    self.report(path, codes::DUPLICATE_WINDOW, message);
                } else {
                    windows_seen.insert(*window, path);
                }
            }
        }
    }

    fn devices(&mut self, devices: &Devices) {
        let base = KeyPath::of("devices");
        for (key, printer) in [
            ("ticket_printer", &devices.ticket_printer),
            ("receipt_printer", &devices.receipt_printer),
        ] {
            if let Some(printer) = printer {
                self.escpos(&base.key(key), printer);
            }
        }
        if let Some(a4) = &devices.a4_printer {
            self.url(
                base.key("a4_printer").key("url"),
                &a4.url,
                &["ipp", "ipps", "http", "https"],
            );
        }
        for (key, device) in [
            ("id_reader", &devices.id_reader),
            ("evaluator", &devices.evaluator),
        ] {
            if let Some(device) = device {
                self.not_blank(base.key(key).key("port"), &device.port);
            }
        }
        if let Some(scanner) = &devices.qr_scanner {
            let kind = base.key("qr_scanner").key("kind");
            if !matches!(scanner.kind.as_str(), "hid" | "serial") {
                self.report(
                    kind.clone(),
                    codes::BAD_CHOICE,
                    format!(
                        "`{kind}` = {} is not allowed; expected one of: \"hid\", \"serial\"",
                        excerpt(&scanner.kind)
                    ),
                );
            }
            self.not_blank(base.key("qr_scanner").key("device"), &scanner.device);
        }
        for (key, camera) in [
            ("document_camera", &devices.document_camera),
            ("face_camera", &devices.face_camera),
        ] {
            if let Some(camera) = camera {
                let device = camera
                    .device
                    .strip_prefix("file:")
                    .unwrap_or(&camera.device);
                self.not_blank(base.key(key).key("device"), device);
            }
        }
        if let Some(voice) = &devices.voice {
            self.not_blank(base.key("voice").key("clips"), &voice.clips);
            self.language(base.key("voice").key("language"), &voice.language, false);
        }
        if let Some(face) = &devices.face_verification {
            let at = base.key("face_verification");
            self.url(at.key("service"), &face.service, &["http", "https"]);
            for (key, present) in [
                ("face_camera", devices.face_camera.is_some()),
                ("id_reader", devices.id_reader.is_some()),
            ] {
                if !present {
                    self.report(
                        at.clone(),
                        codes::MISSING_KEY,
                        format!("`{at}` compares the face camera's photo with the ID card's and needs a [devices.{key}] table"),
                    );
                }
            }
            if let Some(program) = face.photo_decoder.first() {
                self.not_blank(at.key("photo_decoder"), program);
            }
        }
    }

    fn escpos(&mut self, base: &KeyPath, printer: &EscPosPrinter) {
        let transport = base.key("transport");
        match &printer.transport {
            EscPosTransport::Tcp { address } => {
                if let Err(why) = check_socket_address(address) {
                    let path = transport.key("address");
                    self.report(
                        path.clone(),
                        codes::BAD_ADDRESS,
                        format!(
                            "`{path}` = {} is not a `host:port` address: {why}",
                            excerpt(address)
                        ),
                    );
                }
            }
            EscPosTransport::File { path } => self.not_blank(transport.key("path"), path),
            EscPosTransport::Serial { port, .. } => self.not_blank(transport.key("port"), port),
        }
        if !matches!(printer.paper_width_mm, 58 | 80) {
            let path = base.key("paper_width_mm");
            self.report(
                path.clone(),
                codes::PAPER_WIDTH,
                format!(
                    "`{path}` = {} is not supported; use 58 or 80",
                    printer.paper_width_mm
                ),
            );
        }
    }

    fn sdk(&mut self, view: &View) {
        let Some(sdk) = &view.sdk else {
            return;
        };
        let origins = KeyPath::of("sdk.allowed_origins");
        let mut seen: HashMap<&str, KeyPath> = HashMap::new();
        for (i, origin) in sdk.allowed_origins.iter().enumerate() {
            let path = self.element(&origins, i);
            if let Err(why) = check_origin(origin) {
                self.report(
                    path.clone(),
                    codes::BAD_ORIGIN,
                    format!("`{path}` = {} is not a web origin: {why}", excerpt(origin)),
                );
            } else if let Some(first) = seen.get(origin.as_str()) {
                let message = format!("`{path}`: origin {origin:?} is already listed at `{first}`");
                self.report(path, codes::DUPLICATE_ORIGIN, message);
            } else {
                seen.insert(origin, path);
            }
        }
    }

    fn lockdown(&mut self, view: &View) {
        if let Some(hash) = view
            .lockdown
            .as_ref()
            .and_then(|l| l.admin_pin_hash.as_ref())
        {
            let path = KeyPath::of("lockdown.admin_pin_hash");
            if hash.trim().is_empty() {
                self.not_blank(path, hash);
            } else if !banshi_crypto::is_verifier(hash) {
                // Caught at load time: a kiosk whose PIN can never match could only be left by pulling the plug.
                self.report(
                    path.clone(),
                    codes::BAD_PIN_HASH,
                    // The value is not echoed: even a mistyped verifier is close to a real one.
                    format!(
                        "`{path}` is not a PIN verifier (pbkdf2-sm3$<iterations>$<salt hex>$<hash hex>): \
                         make one with `banshi lockdown pin-hash`"
                    ),
                );
            }
        }
    }

    fn fleet(&mut self, view: &View) {
        let Some(fleet) = view.fleet.as_ref() else {
            return;
        };
        let keys = KeyPath::of("fleet.trusted_keys");
        for (i, key) in fleet.trusted_keys.iter().enumerate() {
            let is_key = key.len() == 130
                && key.starts_with("04")
                && key.bytes().all(|b| b.is_ascii_hexdigit());
            if !is_key {
                let path = self.element(&keys, i);
                let message = format!(
                    "`{path}` = {} is not an SM2 public key: 130 hex characters starting with 04 (`banshi fleet keygen` prints one)",
                    excerpt(key)
                );
                self.report(path, codes::BAD_PUBLIC_KEY, message);
            }
        }
        let tags = KeyPath::of("fleet.tags");
        for (i, tag) in fleet.tags.iter().enumerate() {
            if !is_identifier(tag) {
                let path = self.element(&tags, i);
                let message = format!(
                    "`{path}` = {} is not a tag: 1 to 64 letters, digits, \"-\" and \"_\"",
                    excerpt(tag)
                );
                self.report(path, codes::BAD_IDENTIFIER, message);
            }
        }
        if let Some(file) = &fleet.signing_key_file {
            self.not_blank(KeyPath::of("fleet.signing_key_file"), file);
        }
    }

    fn mode(&mut self, view: &View) {
        let Some(mode) = view.mode else {
            return;
        };
        let at = KeyPath::of("mode");
        let name = mode.as_str();
        let needs = |rules: &mut Self, what: &str, why: String| {
            rules.report_at(&at, KeyPath::of(what), codes::MODE_REQUIREMENT, why);
        };
        if mode.opens_full_screen() && !self.loc.has(&KeyPath::of("lockdown.admin_pin_hash")) {
            needs(
                self,
                "lockdown.admin_pin_hash",
                format!(
                    "mode {name:?} runs locked full screen and needs `lockdown.admin_pin_hash`: the admin PIN is the only way out"
                ),
            );
        }
        if mode == Mode::QueueTicket {
            if !self.present_nonempty(&KeyPath::of("queue.categories")) {
                needs(
                    self,
                    "queue.categories",
                    format!("mode {name:?} needs at least one queue category: add a [[queue.categories]] table"),
                );
            }
            if !self.loc.has(&KeyPath::of("devices.ticket_printer")) {
                needs(
                    self,
                    "devices.ticket_printer",
                    format!(
                        "mode {name:?} prints tickets and needs a [devices.ticket_printer] table"
                    ),
                );
            }
        }
        if mode == Mode::Window && !self.loc.has(&KeyPath::of("queue.window")) {
            needs(
                self,
                "queue.window",
                format!("mode {name:?} calls tickets for one window and needs `queue.window` (its number)"),
            );
        }
        let sync_reason = match mode {
            Mode::CallScreen => Some("it shows calls made at other terminals"),
            Mode::Window => Some("it serves tickets issued by the queue machine"),
            Mode::Admin => Some("profiles and hall set-up reach terminals through sync"),
            _ => None,
        };
        if let Some(reason) = sync_reason {
            if !self.loc.has(&KeyPath::of("sync")) {
                needs(
                    self,
                    "sync",
                    format!("mode {name:?} needs a [sync] table: {reason}"),
                );
            }
        }
        if matches!(mode, Mode::Office | Mode::Background)
            && !self.present_nonempty(&KeyPath::of("sdk.allowed_origins"))
        {
            needs(
                self,
                "sdk.allowed_origins",
                format!(
                    "mode {name:?} serves the device API to the hall's web systems and needs at least one `sdk.allowed_origins` entry"
                ),
            );
        }
    }
}

/// `[A-Za-z0-9_-]{1,64}`.
pub(crate) fn is_identifier(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Digits with the usual separators, at least three digits (`12345`, `0898-66668888`).
fn is_phone(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
        && value.chars().filter(char::is_ascii_digit).count() >= 3
}

/// A URL with one of `schemes`, a valid host and optional port; path, query and fragment are
/// free but may not contain whitespace.
pub(crate) fn check_url(value: &str, schemes: &[&str]) -> Result<(), String> {
    let allowed = schemes
        .iter()
        .map(|s| format!("{s}://"))
        .collect::<Vec<_>>()
        .join(", ");
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err(format!("it must start with one of {allowed}"));
    };
    if !schemes.contains(&scheme.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "scheme {} is not allowed; use one of {allowed}",
            excerpt(scheme)
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it must not contain spaces or control characters".to_owned());
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or(rest);
    check_authority(authority, false)
}

/// A browser origin: `http(s)://host[:port]` and nothing after it.
pub(crate) fn check_origin(value: &str) -> Result<(), String> {
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err("it must start with http:// or https://".to_owned());
    };
    if !matches!(scheme, "http" | "https") {
        return Err(format!(
            "scheme {} is not allowed; use http:// or https://",
            excerpt(scheme)
        ));
    }
    if let Some(at) = rest.find(['/', '?', '#']) {
        let tail = rest.get(at..).unwrap_or_default();
        return Err(format!(
            "an origin has no path, query or fragment; remove {}",
            excerpt(tail)
        ));
    }
    check_authority(rest, false)
}

/// `host:port` for a TCP printer: an IP socket address or a host name with a port.
pub(crate) fn check_socket_address(value: &str) -> Result<(), String> {
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return if addr.port() == 0 {
            Err("port 0 is not a real port".to_owned())
        } else {
            Ok(())
        };
    }
    check_authority(value, true)
}

/// `host[:port]`, host a DNS name, IPv4 or bracketed IPv6; `port` 1-65535.
fn check_authority(authority: &str, port_required: bool) -> Result<(), String> {
    if authority.is_empty() {
        return Err("it has no host".to_owned());
    }
    if authority.contains('@') {
        return Err("it must not contain user credentials".to_owned());
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let Some((v6, after)) = inner.split_once(']') else {
            return Err("unclosed `[` in an IPv6 address".to_owned());
        };
        if v6.parse::<Ipv6Addr>().is_err() {
            return Err(format!("{} is not an IPv6 address", excerpt(v6)));
        }
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return Err("unexpected text after the IPv6 address".to_owned()),
            },
        };
        (None, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(authority), None),
        }
    };
    if let Some(host) = host {
        check_host(host)?;
    }
    match port {
        None if port_required => Err("it needs a port, e.g. `:9100`".to_owned()),
        None => Ok(()),
        Some(port) => match port.parse::<u16>() {
            Ok(p) if p > 0 && port.chars().all(|c| c.is_ascii_digit()) => Ok(()),
            _ => Err(format!("port {} must be 1 to 65535", excerpt(port))),
        },
    }
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("it has no host".to_owned());
    }
    if host.parse::<Ipv4Addr>().is_ok() {
        return Ok(());
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let all_numeric = labels
        .iter()
        .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_digit()));
    if host.len() > 253 || !labels.iter().all(label_ok) || all_numeric {
        return Err(format!(
            "{} is not a valid host name or IP address",
            excerpt(host)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_identifier("hk-longhua-qm-01"));
        assert!(is_identifier("A_b-9"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("hk longhua"));
        assert!(!is_identifier("海口"));
        assert!(!is_identifier(&"x".repeat(65)));
        assert!(is_identifier(&"x".repeat(64)));
    }

    #[test]
    fn phones() {
        assert!(is_phone("0898-66668888"));
        assert!(is_phone("12345"));
        assert!(is_phone("+86 (898) 6666 8888"));
        assert!(!is_phone("call us"));
        assert!(!is_phone("12"));
    }

    #[test]
    fn urls() {
        let web = ["http", "https"];
        assert_eq!(check_url("http://127.0.0.1:8300", &web), Ok(()));
        assert_eq!(
            check_url("https://sync.hainan.gov.cn/api?x=1#y", &web),
            Ok(())
        );
        assert_eq!(check_url("http://[::1]:8300/", &web), Ok(()));
        assert_eq!(check_url("HTTP://example.com", &web), Ok(()));
        assert!(check_url("127.0.0.1:8300", &web).is_err());
        assert!(check_url("ftp://example.com", &web).is_err());
        assert!(check_url("http://", &web).is_err());
        assert!(check_url("http://exa mple.com", &web).is_err());
        assert!(check_url("http://host:99999", &web).is_err());
        assert!(check_url("http://user:pw@host", &web).is_err());
        assert!(check_url("http://999.1.1.1", &web).is_err());
        assert!(check_url("http://[zz]:80", &web).is_err());
        assert!(check_url("http://-bad-.com", &web).is_err());
        assert_eq!(
            check_url("ipp://127.0.0.1:631/printers/a4", &["ipp", "ipps"]),
            Ok(())
        );
    }

    #[test]
    fn origins() {
        assert_eq!(check_origin("http://10.1.2.3:8080"), Ok(()));
        assert_eq!(check_origin("https://zwfw.hainan.gov.cn"), Ok(()));
        assert!(check_origin("http://10.1.2.3:8080/").is_err());
        assert!(check_origin("http://10.1.2.3:8080/app").is_err());
        assert!(check_origin("10.1.2.3:8080").is_err());
        assert!(check_origin("file://x").is_err());
    }

    #[test]
    fn socket_addresses() {
        assert_eq!(check_socket_address("127.0.0.1:9100"), Ok(()));
        assert_eq!(check_socket_address("[::1]:9100"), Ok(()));
        assert_eq!(check_socket_address("printer-1.hall.local:9100"), Ok(()));
        assert!(check_socket_address("127.0.0.1").is_err());
        assert!(check_socket_address("127.0.0.1:0").is_err());
        assert!(check_socket_address("printer:+80").is_err());
        assert!(check_socket_address(":9100").is_err());
        assert!(check_socket_address("").is_err());
        assert!(check_socket_address("[::1]9100").is_err());
    }
}
