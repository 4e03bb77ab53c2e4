//! The scanner gun and the keypad evaluator as the profile configures them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use banshi_core::SystemClock;
use banshi_evaluator::{CancelToken, Evaluator, EvaluatorConfig, EvaluatorStatus, SessionId};
use banshi_profile::{QrScanner, SerialDevice};
use banshi_scanner::{
    HidScanner, HidScannerConfig, ScannerStatus, SerialScanner, SerialScannerConfig,
};

use crate::{DeviceError, DeviceStatus};

/// A scanner gun: keyboard-mode (read from its input device, not the focused window) or serial.
#[derive(Debug)]
pub(crate) enum Scanner {
    Hid(Mutex<HidScanner>),
    Serial(Mutex<SerialScanner>),
}

impl Scanner {
    pub(crate) fn open(config: &QrScanner) -> Self {
        if config.kind == "serial" {
            Scanner::Serial(Mutex::new(SerialScanner::new(SerialScannerConfig::new(
                &config.device,
            ))))
        } else {
            Scanner::Hid(Mutex::new(HidScanner::start(
                HidScannerConfig::new(&config.device),
                Arc::new(SystemClock),
            )))
        }
    }

    pub(crate) fn probe(&self) -> Option<(DeviceStatus, Option<String>)> {
        let health = match self {
            Scanner::Hid(s) => s.try_lock().ok()?.health(),
            Scanner::Serial(s) => s.try_lock().ok()?.health(),
        };
        let status = match health.status {
            ScannerStatus::Ok => DeviceStatus::Ok,
            ScannerStatus::Degraded => DeviceStatus::Degraded,
            ScannerStatus::Offline => DeviceStatus::Offline,
            ScannerStatus::Unknown => DeviceStatus::Unknown,
        };
        Some((status, health.detail))
    }

    /// The next scanned code, or `None` when nothing was scanned within `wait`.
    pub(crate) fn next_scan(&self, wait: Duration) -> Result<Option<String>, DeviceError> {
        Ok(match self {
            Scanner::Hid(s) => s
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .next_scan(wait)?,
            Scanner::Serial(s) => s
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .next_scan(wait)?,
        })
    }
}

/// The keypad evaluator (评价器).
#[derive(Debug)]
pub(crate) struct KeypadEvaluator {
    evaluator: Mutex<Evaluator>,
    next_session: std::sync::atomic::AtomicU32,
}

impl KeypadEvaluator {
    pub(crate) fn open(config: &SerialDevice) -> Self {
        let mut settings = EvaluatorConfig::new(&config.port);
        settings.baud_rate = config.baud;
        Self {
            evaluator: Mutex::new(Evaluator::new(settings)),
            next_session: std::sync::atomic::AtomicU32::new(1),
        }
    }

    pub(crate) fn probe(&self) -> Option<(DeviceStatus, Option<String>)> {
        let health = self.evaluator.try_lock().ok()?.probe();
        let status = match health.status {
            EvaluatorStatus::Ok => DeviceStatus::Ok,
            EvaluatorStatus::Degraded => DeviceStatus::Degraded,
            EvaluatorStatus::Offline => DeviceStatus::Offline,
        };
        Some((status, health.detail))
    }

    /// Light the prompt and wait for a key: 1 = 非常满意 … 5 = 非常不满意.
    pub(crate) fn request_rating(
        &self,
        timeout: Duration,
    ) -> Result<(u8, &'static str), DeviceError> {
        // A fresh session per request, so a late press meant for an earlier one is not counted.
        let session = SessionId(
            self.next_session
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        );
        let grade = self
            .evaluator
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .request_rating(session, timeout, &CancelToken::new())?;
        Ok((grade.key(), grade.as_str()))
    }
}
