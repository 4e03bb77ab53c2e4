//! Printing PDFs on A4 printers over IPP, and asking them how they are.
//!
//! IPP (RFC 8011) is what every network laser printer sold in China speaks, what CUPS queues
//! expose (`ipp://localhost:631/printers/NAME`) and what IPP Everywhere / driverless printing is
//! built on, so one client covers a directly addressed printer and a local CUPS queue alike. The
//! `ipp` crate encodes the operations; this module adds timeouts, maps failures to stable codes and
//! reduces `printer-state` / `printer-state-reasons` to the terminal's health vocabulary.
//!
//! # Health mapping
//!
//! Reasons may carry the RFC 8011 severity suffixes `-report`, `-warning` or `-error`; for paper
//! the suffix is ignored (a tray without paper is worth telling staff about even when another tray
//! keeps the printer going), for everything else `-report` reasons are informational and ignored.
//!
//! | printer says                                      | [`PrinterHealth`] |
//! |---------------------------------------------------|-------------------|
//! | no answer, refused connection, timeout            | `Offline`         |
//! | `media-empty`, `media-needed`                     | `PaperOut`        |
//! | `stopped` (5), other `-error` reasons, not accepting jobs, `media-jam`, `cover-open`, … | `Degraded` |
//! | `media-low`                                       | `PaperLow`        |
//! | other `-warning` reasons (`toner-low`, …)         | `Degraded`        |
//! | `none`                                            | `Ok`              |
//! | answered, but not understandable                  | `Unknown`         |
//!
//! # TLS
//!
//! `ipps://` printers are reached through rustls with the *ring* provider, installed as the process
//! default on first use if nothing else installed one: the `ipp` crate's default rustls feature
//! would compile aws-lc (C and assembly) into every build for a feature halls rarely use.

use std::io::Cursor;
use std::sync::Once;
use std::time::Duration;

use ipp::prelude::*;

use crate::error::PrintError;

/// User name sent with every job (halls see it in the printer's job log; never a person's name).
const USER_NAME: &str = "banshi";
/// IPP `name` values hold at most 255 bytes.
const MAX_JOB_NAME_BYTES: usize = 200;

/// Timeouts for talking to a printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IppTimeouts {
    /// Whole Get-Printer-Attributes exchange (health probes run often; keep this short).
    pub status: Duration,
    /// Whole Print-Job exchange, including uploading the document.
    pub print: Duration,
}

impl Default for IppTimeouts {
    fn default() -> Self {
        Self {
            status: Duration::from_secs(5),
            print: Duration::from_secs(60),
        }
    }
}

/// Health of an A4 printer in the terminal's vocabulary (`banshi_devices::DeviceStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrinterHealth {
    /// Ready to print.
    Ok,
    /// Reachable but needs attention or stopped for a reason other than paper.
    Degraded,
    /// Not reachable.
    Offline,
    /// Paper is running low.
    PaperLow,
    /// Out of paper.
    PaperOut,
    /// Answered, but not in a way we understand.
    Unknown,
}

impl PrinterHealth {
    /// The snake_case name used by the device API (`ok`, `paper_out`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            PrinterHealth::Ok => "ok",
            PrinterHealth::Degraded => "degraded",
            PrinterHealth::Offline => "offline",
            PrinterHealth::PaperLow => "paper_low",
            PrinterHealth::PaperOut => "paper_out",
            PrinterHealth::Unknown => "unknown",
        }
    }
}

/// What a health probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterStatus {
    /// The mapped health.
    pub health: PrinterHealth,
    /// For people: the printer's state and reasons, or why it could not be reached.
    pub detail: Option<String>,
    /// The raw `printer-state-reasons` keywords (empty when unreachable or `none`).
    pub reasons: Vec<String>,
}

/// An IPP printer (or CUPS queue) at a URL such as `ipp://192.0.2.7/ipp/print`.
#[derive(Debug, Clone)]
pub struct IppPrinter {
    uri: Uri,
    timeouts: IppTimeouts,
}

/// How long a busy printer is asked again before the job is given up as refused.
const BUSY_RETRY_FOR: Duration = Duration::from_secs(30);

impl IppPrinter {
    /// Checks the URL (schemes `ipp`, `ipps`, `http`, `https`); nothing is sent yet.
    pub fn new(url: &str) -> Result<Self, PrintError> {
        let bad = |reason: &str| PrintError::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
        match uri.scheme_str() {
            Some("ipp" | "ipps" | "http" | "https") => {}
            _ => return Err(bad("scheme must be ipp, ipps, http or https")),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        Ok(Self {
            uri,
            timeouts: IppTimeouts::default(),
        })
    }

    /// Replaces the default timeouts.
    pub fn with_timeouts(mut self, timeouts: IppTimeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The printer URL.
    pub fn url(&self) -> String {
        self.uri.to_string()
    }

    /// Sends a PDF as one Print-Job on A4 paper and returns the printer's job id. The job title
    /// shows up in printer queues and logs, so it must not contain personal data (use the document
    /// kind and case number).
    pub async fn print_pdf(&self, pdf: &[u8], job_title: &str) -> Result<i32, PrintError> {
        // `server-error-busy` asks the client to try again shortly (RFC 8011 §13.1.5.6): a printer without a
        // queue answers it while it still processes the previous job, e.g. the second copy of a material list.
        let started = std::time::Instant::now();
        let mut delay = Duration::from_millis(200);
        loop {
            match self.print_once(pdf, job_title).await {
                Err(PrintError::Refused { status })
                    if status == "ServerErrorBusy" && started.elapsed() < BUSY_RETRY_FOR =>
                {
                    tracing::info!(printer = %self.uri, ?delay, "printer busy; sending the job again");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }

    async fn print_once(&self, pdf: &[u8], job_title: &str) -> Result<i32, PrintError> {
        let payload = IppPayload::new(Cursor::new(pdf.to_vec()));
        let media = IppValue::new_keyword("iso_a4_210x297mm")
            .and_then(|value| IppAttribute::with_name("media", value))
            .map_err(|e| PrintError::Protocol(e.to_string()))?;
        let operation = IppOperationBuilder::print_job(self.uri.clone(), payload)
            .user_name(USER_NAME)
            .job_title(truncate_utf8(job_title, MAX_JOB_NAME_BYTES))
            .document_format("application/pdf")
            .attribute(media)
            .build()
            .map_err(|e| PrintError::Protocol(e.to_string()))?;
        let response = self.send(operation, self.timeouts.print).await?;
        let job_id = response
            .attributes()
            .groups_of(DelimiterTag::JobAttributes)
            .find_map(|g| g.get("job-id"))
            .and_then(|a| a.value().as_integer().copied())
            .ok_or_else(|| PrintError::Protocol("Print-Job answer has no job-id".into()))?;
        tracing::info!(printer = %self.uri, job_id, bytes = pdf.len(), "PDF sent to printer");
        Ok(job_id)
    }

    /// Asks the printer for its state and maps it to a [`PrinterHealth`]. Never fails: a printer
    /// that cannot be asked is `Offline` (or `Unknown` when it answers nonsense), with the reason
    /// in `detail`.
    pub async fn status(&self) -> PrinterStatus {
        match self.query_state().await {
            Ok((state, reasons, accepting)) => map_status(state, reasons, accepting),
            Err(e @ (PrintError::Unreachable { .. } | PrintError::Timeout { .. })) => {
                PrinterStatus {
                    health: PrinterHealth::Offline,
                    detail: Some(e.to_string()),
                    reasons: Vec::new(),
                }
            }
            Err(e) => PrinterStatus {
                health: PrinterHealth::Unknown,
                detail: Some(e.to_string()),
                reasons: Vec::new(),
            },
        }
    }

    async fn query_state(&self) -> Result<(Option<i32>, Vec<String>, Option<bool>), PrintError> {
        let operation = IppOperationBuilder::get_printer_attributes(self.uri.clone())
            .attributes([
                "printer-state",
                "printer-state-reasons",
                "printer-is-accepting-jobs",
            ])
            .build()
            .map_err(|e| PrintError::Protocol(e.to_string()))?;
        let response = self.send(operation, self.timeouts.status).await?;
        let group = response
            .attributes()
            .groups_of(DelimiterTag::PrinterAttributes)
            .next()
            .ok_or_else(|| PrintError::Protocol("no printer attributes in the answer".into()))?;
        let state = group
            .get("printer-state")
            .and_then(|a| a.value().as_enum().copied());
        let reasons = group
            .get("printer-state-reasons")
            .map(|a| a.value().into_iter().map(|v| v.to_string()).collect())
            .unwrap_or_default();
        let accepting = group
            .get("printer-is-accepting-jobs")
            .and_then(|a| a.value().as_boolean().copied());
        Ok((state, reasons, accepting))
    }

    async fn send<R>(&self, request: R, timeout: Duration) -> Result<IppRequestResponse, PrintError>
    where
        R: Into<IppRequestResponse>,
    {
        install_tls_provider();
        let client = AsyncIppClient::builder(self.uri.clone())
            .request_timeout(timeout)
            .build();
        // The outer timeout also bounds the connect phase, which the crate caps at 10 s on its own.
        let response = match tokio::time::timeout(timeout, client.send(request)).await {
            Err(_) => {
                return Err(PrintError::Timeout {
                    target: self.url(),
                    after: timeout,
                })
            }
            Ok(result) => result.map_err(|e| self.classify(e, timeout))?,
        };
        let status = response.header().status_code();
        if !status.is_success() {
            tracing::warn!(printer = %self.uri, ?status, "printer refused the request");
            return Err(PrintError::Refused {
                status: format!("{status:?}"),
            });
        }
        Ok(response)
    }

    fn classify(&self, error: IppError, timeout: Duration) -> PrintError {
        match error {
            IppError::AsyncClientError(e) if e.is_timeout() && !e.is_connect() => {
                PrintError::Timeout {
                    target: self.url(),
                    after: timeout,
                }
            }
            IppError::AsyncClientError(e) if e.is_connect() || e.is_timeout() || e.is_request() => {
                PrintError::Unreachable {
                    target: self.url(),
                    reason: error_chain(&e),
                }
            }
            IppError::IoError(e) => PrintError::Unreachable {
                target: self.url(),
                reason: e.to_string(),
            },
            IppError::RequestError(code) => PrintError::HttpStatus(code),
            IppError::StatusError(status) => PrintError::Refused {
                status: format!("{status:?}"),
            },
            other => PrintError::Protocol(other.to_string()),
        }
    }
}

/// Sends a PDF to the printer at `url` with default timeouts; see [`IppPrinter::print_pdf`].
pub async fn print_pdf(url: &str, pdf: &[u8], job_title: &str) -> Result<i32, PrintError> {
    IppPrinter::new(url)?.print_pdf(pdf, job_title).await
}

/// Probes the printer at `url` with default timeouts; see [`IppPrinter::status`].
pub async fn printer_status(url: &str) -> PrinterStatus {
    match IppPrinter::new(url) {
        Ok(printer) => printer.status().await,
        Err(e) => PrinterStatus {
            health: PrinterHealth::Unknown,
            detail: Some(e.to_string()),
            reasons: Vec::new(),
        },
    }
}

fn install_tls_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means another part of the process already chose a provider, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

fn truncate_utf8(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Printer states (RFC 8011 §5.4.11).
const STATE_STOPPED: i32 = 5;

fn map_status(state: Option<i32>, reasons: Vec<String>, accepting: Option<bool>) -> PrinterStatus {
    let reasons: Vec<String> = reasons
        .into_iter()
        .filter(|r| r != "none" && !r.is_empty())
        .collect();
    let split: Vec<(&str, Severity)> = reasons.iter().map(|r| split_severity(r)).collect();
    let is_paper = |base: &str| matches!(base, "media-empty" | "media-needed");
    let is_warning_name = |base: &str| base.ends_with("-low") || base.ends_with("-almost-full");
    let paper_out = split.iter().any(|(b, _)| is_paper(b));
    let paper_low = split.iter().any(|(b, _)| *b == "media-low");
    let error = state == Some(STATE_STOPPED)
        || accepting == Some(false)
        || split.iter().any(|(b, s)| match s {
            Severity::Error => true,
            Severity::Unmarked => !is_warning_name(b),
            Severity::Warning | Severity::Report => false,
        });
    let warning = split.iter().any(|(b, s)| match s {
        Severity::Warning => true,
        Severity::Unmarked => is_warning_name(b),
        Severity::Error | Severity::Report => false,
    });
    let health = if paper_out {
        PrinterHealth::PaperOut
    } else if error {
        PrinterHealth::Degraded
    } else if paper_low {
        PrinterHealth::PaperLow
    } else if warning {
        PrinterHealth::Degraded
    } else if state.is_none() {
        PrinterHealth::Unknown
    } else {
        PrinterHealth::Ok
    };
    let mut detail = match state {
        Some(3) => "idle",
        Some(4) => "processing",
        Some(STATE_STOPPED) => "stopped",
        Some(_) => "unknown state",
        None => "state not reported",
    }
    .to_owned();
    if accepting == Some(false) {
        detail.push_str(", not accepting jobs");
    }
    if !reasons.is_empty() {
        detail.push_str(": ");
        detail.push_str(&reasons.join(", "));
    }
    PrinterStatus {
        health,
        detail: Some(detail),
        reasons,
    }
}

/// The RFC 8011 severity suffix of a `printer-state-reasons` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Severity {
    Report,
    Warning,
    Error,
    Unmarked,
}

fn split_severity(reason: &str) -> (&str, Severity) {
    for (suffix, severity) in [
        ("-report", Severity::Report),
        ("-warning", Severity::Warning),
        ("-error", Severity::Error),
    ] {
        if let Some(base) = reason.strip_suffix(suffix) {
            return (base, severity);
        }
    }
    (reason, Severity::Unmarked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(state: i32, reasons: &[&str]) -> PrinterHealth {
        map_status(
            Some(state),
            reasons.iter().map(|r| r.to_string()).collect(),
            Some(true),
        )
        .health
    }

    #[test]
    fn reasons_map_to_terminal_health() {
        assert_eq!(health(3, &["none"]), PrinterHealth::Ok);
        assert_eq!(health(3, &["media-empty-report"]), PrinterHealth::PaperOut);
        assert_eq!(health(5, &["media-needed-error"]), PrinterHealth::PaperOut);
        assert_eq!(health(3, &["media-low-report"]), PrinterHealth::PaperLow);
        assert_eq!(health(3, &["media-low"]), PrinterHealth::PaperLow);
        assert_eq!(health(3, &["toner-low-warning"]), PrinterHealth::Degraded);
        assert_eq!(health(3, &["toner-low"]), PrinterHealth::Degraded);
        assert_eq!(health(5, &["cover-open-error"]), PrinterHealth::Degraded);
        assert_eq!(health(5, &["none"]), PrinterHealth::Degraded);
        assert_eq!(health(3, &["media-jam"]), PrinterHealth::Degraded);
        // An error outranks low paper: the printer cannot print at all.
        assert_eq!(
            health(5, &["media-low", "media-jam-error"]),
            PrinterHealth::Degraded
        );
        // Informational reports other than paper do not raise alarms.
        assert_eq!(health(4, &["other-report"]), PrinterHealth::Ok);
    }

    #[test]
    fn not_accepting_jobs_is_degraded_and_explained() {
        let status = map_status(Some(3), vec!["paused".into()], Some(false));
        assert_eq!(status.health, PrinterHealth::Degraded);
        assert_eq!(
            status.detail.as_deref(),
            Some("idle, not accepting jobs: paused")
        );
    }

    #[test]
    fn urls_are_checked_before_anything_is_sent() {
        assert!(IppPrinter::new("ipp://127.0.0.1:631/ipp/print").is_ok());
        assert!(IppPrinter::new("http://localhost:631/printers/PDF").is_ok());
        for bad in ["socket://10.0.0.1:9100", "not a url", "ipp:///ipp/print"] {
            let err = IppPrinter::new(bad).unwrap_err();
            assert_eq!(banshi_core::ErrorCode::code(&err), "ipp.bad_url", "{bad}");
        }
    }

    #[test]
    fn long_job_titles_are_cut_on_a_character_boundary() {
        let title = "受理回执".repeat(30);
        let cut = truncate_utf8(&title, MAX_JOB_NAME_BYTES);
        assert!(cut.len() <= MAX_JOB_NAME_BYTES);
        assert!(title.starts_with(cut));
    }
}
