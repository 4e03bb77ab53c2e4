//! Shared fixtures and poppler-utils helpers for the integration tests.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::Path;
use std::process::Command;

use banshi_documents::templates::{AcceptanceReceipt, CaseHeader, MaterialLine, MaterialStatus};
use time::macros::{date, datetime};

pub const QR_URL: &str = "https://zwfw.example.gov.cn/case/BS20261124000017";

pub fn case() -> CaseHeader {
    CaseHeader {
        outlet_name: "示例市政务服务中心".into(),
        case_number: "BS20261124000017".into(),
        applicant_name: "张*明".into(),
        item_name: "个体工商户设立登记".into(),
        qr_url: QR_URL.into(),
    }
}

pub fn material(name: &str, status: MaterialStatus) -> MaterialLine {
    MaterialLine {
        name: name.into(),
        copies: 1,
        status,
    }
}

pub fn receipt() -> AcceptanceReceipt {
    AcceptanceReceipt {
        case: case(),
        accepted_at: datetime!(2026-11-24 09:05),
        promised_by: Some(date!(2026 - 12 - 08)),
        window: Some("3号窗口".into()),
        materials: vec![
            material("个体工商户登记（备案）申请书", MaterialStatus::Received),
            material("经营者身份证明", MaterialStatus::OriginalVerified),
            material("经营场所使用证明", MaterialStatus::Received),
        ],
    }
}

/// Runs a poppler-utils (or other) tool and returns its stdout; the tools are required, never
/// skipped (xtask setup installs poppler-utils).
pub fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (poppler-utils): {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// The page count reported by `pdfinfo`.
pub fn page_count(pdf: &Path) -> usize {
    run("pdfinfo", &[path_str(pdf)])
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo reports Pages:")
}

/// Text of one page (1-based) as `pdftotext` extracts it, without any whitespace: pdftotext
/// drops or adds spaces around CJK characters depending on their positions, so tests compare
/// squashed strings (see [`squash`]).
pub fn page_text(pdf: &Path, page: usize) -> String {
    let page = page.to_string();
    squash(&run(
        "pdftotext",
        &["-f", &page, "-l", &page, path_str(pdf), "-"],
    ))
}

/// `text` without whitespace.
pub fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}
