//! The A4 printer (CUPS/IPP) as the profile configures it.
//!
//! The IPP client is async; the device set's operations are blocking calls made on blocking threads (and
//! health probes run on plain threads), so each call drives the request on a small runtime of its own
//! rather than borrowing one it might not be inside.

use banshi_documents::{IppPrinter, PrinterHealth};
use banshi_profile::IppPrinter as IppConfig;

use crate::{DeviceError, DeviceStatus};

#[derive(Debug)]
pub(crate) struct A4Printer {
    printer: Result<IppPrinter, String>,
}

fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, std::io::Error> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(future))
}

impl A4Printer {
    pub(crate) fn open(config: &IppConfig) -> Self {
        Self {
            printer: IppPrinter::new(&config.url).map_err(|e| e.to_string()),
        }
    }

    pub(crate) fn probe(&self) -> (DeviceStatus, Option<String>) {
        let printer = match &self.printer {
            Ok(p) => p,
            Err(why) => return (DeviceStatus::Offline, Some(why.clone())),
        };
        match block_on(printer.status()) {
            Ok(status) => (
                match status.health {
                    PrinterHealth::Ok => DeviceStatus::Ok,
                    PrinterHealth::Degraded => DeviceStatus::Degraded,
                    PrinterHealth::Offline => DeviceStatus::Offline,
                    PrinterHealth::PaperLow => DeviceStatus::PaperLow,
                    PrinterHealth::PaperOut => DeviceStatus::PaperOut,
                    PrinterHealth::Unknown => DeviceStatus::Unknown,
                },
                status.detail,
            ),
            Err(e) => (DeviceStatus::Unknown, Some(e.to_string())),
        }
    }

    /// Send a PDF; returns the printer's job id.
    pub(crate) fn print_pdf(&self, pdf: &[u8], title: &str) -> Result<i32, DeviceError> {
        let printer = self.printer.as_ref().map_err(|why| DeviceError::Unusable {
            class: "a4_printer",
            why: why.clone(),
        })?;
        block_on(printer.print_pdf(pdf, title))
            .map_err(|e| DeviceError::Unusable {
                class: "a4_printer",
                why: e.to_string(),
            })?
            .map_err(DeviceError::from)
    }
}
