//! Thermal ESC/POS printers (ticket and receipt) as the profile configures them, and the JSON form of a
//! slip that the device API accepts.

use std::time::Duration;

use banshi_escpos::{
    Align, EncodeOptions, PaperStatus, Printer, PrinterStatus, Slip, SlipLine, TextSize, Transport,
};
use banshi_profile::{CutMode, EscPosPrinter, EscPosTransport};
use serde::Deserialize;

use crate::{DeviceError, DeviceStatus};

/// How long a printer may take to accept a connection or bytes before it counts as offline.
const PRINTER_TIMEOUT: Duration = Duration::from_secs(3);

/// Which thermal printer a slip goes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThermalRole {
    /// The queue-ticket printer.
    #[default]
    Ticket,
    /// The receipt printer (falls back to the ticket printer when the terminal has only one).
    Receipt,
}

/// One configured ESC/POS printer.
#[derive(Debug)]
pub(crate) struct ThermalPrinter {
    printer: Printer,
    options: EncodeOptions,
}

impl ThermalPrinter {
    pub(crate) fn open(config: &EscPosPrinter) -> Self {
        let transport = match &config.transport {
            EscPosTransport::Tcp { address } => Transport::Tcp {
                address: address.clone(),
                timeout: PRINTER_TIMEOUT,
            },
            EscPosTransport::File { path } => Transport::File { path: path.into() },
            EscPosTransport::Serial { port, baud } => Transport::Serial {
                port: port.clone(),
                baud: *baud,
                timeout: PRINTER_TIMEOUT,
            },
        };
        let cut = match config.cut {
            CutMode::Full => banshi_escpos::CutMode::Full,
            CutMode::Partial => banshi_escpos::CutMode::Partial,
            CutMode::None => banshi_escpos::CutMode::None,
        };
        Self {
            printer: Printer::new(transport),
            options: EncodeOptions {
                cut,
                paper_width_mm: config.paper_width_mm,
            },
        }
    }

    /// Print a slip. Refuses before sending anything when the printer reports no paper, so a resident
    /// is told at once instead of waiting for a ticket that never comes.
    pub(crate) fn print(&self, slip: &Slip) -> Result<(), DeviceError> {
        if self.printer.paper_status()? == PaperStatus::Out {
            return Err(DeviceError::PaperOut);
        }
        let bytes = banshi_escpos::encode(slip, &self.options)?;
        self.printer.print(&bytes)?;
        Ok(())
    }

    pub(crate) fn probe(&self) -> (DeviceStatus, Option<String>) {
        match self.printer.status() {
            Ok(PrinterStatus {
                paper: PaperStatus::Out,
                ..
            }) => (DeviceStatus::PaperOut, None),
            Ok(PrinterStatus { online: false, .. }) => (
                DeviceStatus::Degraded,
                Some("the printer reports itself offline (cover open or error)".into()),
            ),
            Ok(PrinterStatus {
                paper: PaperStatus::NearEnd,
                ..
            }) => (DeviceStatus::PaperLow, None),
            Ok(PrinterStatus {
                paper: PaperStatus::Ok,
                ..
            }) => (DeviceStatus::Ok, None),
            Ok(PrinterStatus {
                paper: PaperStatus::Unknown,
                ..
            }) => (
                DeviceStatus::Ok,
                Some("this connection cannot report paper".into()),
            ),
            Err(e) => (DeviceStatus::Offline, Some(e.to_string())),
        }
    }
}

/// One slip line as JSON, e.g. `{"type": "text", "text": "C001", "align": "center", "size": "quad"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SlipLineSpec {
    Text {
        text: String,
        #[serde(default)]
        align: AlignSpec,
        #[serde(default)]
        bold: bool,
        #[serde(default)]
        size: SizeSpec,
    },
    Qr {
        data: String,
        #[serde(default = "default_module_size")]
        module_size: u8,
    },
    Separator,
    Feed {
        #[serde(default = "one")]
        lines: u8,
    },
}

fn default_module_size() -> u8 {
    5
}

fn one() -> u8 {
    1
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlignSpec {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeSpec {
    #[default]
    Normal,
    Double,
    Quad,
}

/// The slip the JSON describes. Text with control characters or no GB18030 mapping is refused later by
/// the encoder, with its own error code.
pub fn slip_from_spec(lines: &[SlipLineSpec]) -> Slip {
    Slip {
        lines: lines
            .iter()
            .map(|line| match line {
                SlipLineSpec::Text {
                    text,
                    align,
                    bold,
                    size,
                } => SlipLine::Text {
                    text: text.clone(),
                    align: match align {
                        AlignSpec::Left => Align::Left,
                        AlignSpec::Center => Align::Center,
                        AlignSpec::Right => Align::Right,
                    },
                    bold: *bold,
                    size: match size {
                        SizeSpec::Normal => TextSize::Normal,
                        SizeSpec::Double => TextSize::Double,
                        SizeSpec::Quad => TextSize::Quad,
                    },
                },
                SlipLineSpec::Qr { data, module_size } => SlipLine::Qr {
                    data: data.clone(),
                    module_size: *module_size,
                },
                SlipLineSpec::Separator => SlipLine::Separator,
                SlipLineSpec::Feed { lines } => SlipLine::Feed(*lines),
            })
            .collect(),
    }
}
