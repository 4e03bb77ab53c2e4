//! Writes a sample 受理回执 and 补齐补正告知书 into a directory and reports their sizes and how long
//! font loading and each render took, so a person can look at the output (e.g. with `pdftoppm`)
//! and see what generation costs on this machine.
//!
//! `cargo run --release -p banshi-documents --example render_samples -- OUT_DIR`

// An example's whole job is to report on stdout.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use banshi_documents::templates::{
    acceptance_receipt, notice, AcceptanceReceipt, CaseHeader, MaterialLine, MaterialStatus, Notice,
};
use banshi_documents::{render_pdf, CjkFonts};
use time::macros::{date, datetime};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    std::fs::create_dir_all(&out)?;

    let started = Instant::now();
    let fonts = CjkFonts::system()?;
    println!("fonts loaded in {:?}", started.elapsed());

    let case = CaseHeader {
        outlet_name: "示例市政务服务中心".into(),
        case_number: "BS20261124000017".into(),
        applicant_name: "张*明".into(),
        item_name: "个体工商户设立登记".into(),
        qr_url: "https://zwfw.example.gov.cn/case/BS20261124000017".into(),
    };
    let material = |name: &str, status| MaterialLine {
        name: name.into(),
        copies: 1,
        status,
    };
    let receipt = acceptance_receipt(&AcceptanceReceipt {
        case: case.clone(),
        accepted_at: datetime!(2026-11-24 09:05),
        promised_by: Some(date!(2026 - 12 - 08)),
        window: Some("3号窗口".into()),
        materials: vec![
            material("个体工商户登记（备案）申请书", MaterialStatus::Received),
            material("经营者身份证明", MaterialStatus::OriginalVerified),
            material("经营场所使用证明", MaterialStatus::Received),
        ],
    });
    let supplement = notice(&Notice::supplement_correction(
        case,
        (1..=40)
            .map(|i| {
                material(
                    &format!("补充证明材料第{i}项"),
                    MaterialStatus::NeedsCorrection,
                )
            })
            .collect(),
        date!(2026 - 11 - 29),
        date!(2026 - 11 - 24),
    ));

    for (name, document) in [("receipt.pdf", &receipt), ("notice.pdf", &supplement)] {
        let runs = 10;
        let started = Instant::now();
        let mut pdf = Vec::new();
        for _ in 0..runs {
            pdf = render_pdf(document, &fonts)?;
        }
        let per_document = started.elapsed() / runs;
        std::fs::write(out.join(name), &pdf)?;
        println!("{name}: {} bytes, {per_document:?} per render", pdf.len());
    }
    Ok(())
}
