//! A4 paperwork for Banshi terminals: PDF documents in Chinese, scanned-page PDFs, IPP printing.
//!
//! Government halls hand out and archive A4 papers: an acceptance receipt (受理回执) when a case is
//! accepted, notices (告知书) when materials are missing, material lists. Each must print on
//! whatever laser printer the hall has and be kept as a material of the case, so the crate produces
//! PDF (the format every printer path and archive accepts) and prints it over IPP.
//!
//! The crate has four parts:
//!
//! * **Documents** ([`Document`], [`render_pdf`], [`templates`]): a small block model (title,
//!   labelled fields, paragraphs, tables, QR codes, closing lines) laid out on A4 with Chinese line
//!   breaking and page footers, written with `krilla`, which embeds a *subset* of Noto Sans CJK SC
//!   ([`CjkFonts`]) so receipts are small yet render identically everywhere, and keeps the text
//!   extractable. QR codes are vector squares. Output is deterministic: the same input gives the
//!   same bytes, which suits content-addressed case materials.
//! * **Scans** ([`pdf_from_jpeg_pages`]): the document camera's JPEG pages wrapped into one PDF
//!   without re-encoding.
//! * **Printing** ([`IppPrinter`], [`print_pdf`], [`printer_status`]): Print-Job and
//!   Get-Printer-Attributes with timeouts, failures mapped to `ipp.*` codes and printer state mapped
//!   to the terminal's health vocabulary ([`PrinterHealth`]).
//! * **Virtual printer** ([`VirtualPrinter`]): CUPS' `ippeveprinter` started on a loopback port,
//!   keeping what it receives, with a paper-out switch; for tests and the demo hall.
//!
//! Fonts are the expensive part (two 20 MB collections): load [`CjkFonts`] once (or use
//! [`CjkFonts::system`]) and pass it to every render.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod document;
mod error;
mod font;
mod ipp_printer;
mod layout;
mod pdf;
mod scan;
pub mod templates;
mod virtual_printer;

pub use document::{render_pdf, Block, Column, Document, Field, Table};
pub use error::{DocumentError, PrintError, VirtualPrinterError};
pub use font::CjkFonts;
pub use ipp_printer::{
    print_pdf, printer_status, IppPrinter, IppTimeouts, PrinterHealth, PrinterStatus,
};
pub use scan::{pdf_from_jpeg_pages, JpegPage, PageSize};
pub use virtual_printer::{PaperLevel, VirtualPrinter, VirtualPrinterOptions};
