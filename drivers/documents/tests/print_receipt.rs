//! A receipt goes the whole way: generated, printed over IPP to a real `ippeveprinter`, and the
//! received file checked with poppler (text, embedded subset font, QR decoded from a rendering).

mod common;

use std::time::Duration;

use banshi_core::ErrorCode;
use banshi_documents::templates::acceptance_receipt;
use banshi_documents::{
    print_pdf, printer_status, render_pdf, CjkFonts, IppPrinter, IppTimeouts, PaperLevel,
    PrinterHealth, VirtualPrinter,
};
use common::{path_str, run};

#[tokio::test]
async fn receipt_printed_over_ipp_arrives_with_chinese_text_subset_font_and_qr() {
    let fonts = CjkFonts::system().unwrap();
    let pdf = render_pdf(&acceptance_receipt(&common::receipt()), &fonts).unwrap();
    let printer = VirtualPrinter::start().unwrap();

    let job_id = print_pdf(&printer.url(), &pdf, "受理回执 BS20261124000017")
        .await
        .unwrap();
    assert!(job_id > 0);
    let documents = printer
        .wait_for_documents(1, Duration::from_secs(20))
        .unwrap();
    assert_eq!(documents.len(), 1);
    let received = &documents[0];
    let file_name = received.file_name().unwrap().to_string_lossy();
    assert!(file_name.starts_with(&format!("{job_id}-")), "{file_name}");
    assert_eq!(
        std::fs::read(received).unwrap(),
        pdf,
        "printer got our bytes"
    );
    assert_eq!(common::page_count(received), 1);

    let text = common::page_text(received, 1);
    for expected in [
        "受理回执",
        "示例市政务服务中心",
        "BS20261124000017",
        "张*明",
        "个体工商户设立登记",
        "2026年11月24日 09:05",
        "经营场所使用证明",
        "已核验原件",
        "扫码查询办理进度",
        "第 1 页 / 共 1 页",
    ] {
        let expected = common::squash(expected);
        assert!(
            text.contains(&expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    // pdffonts columns: name type encoding emb sub uni object-id. A subset font's name carries a
    // six-letter tag such as `ABCDEF+NotoSansCJKsc-Regular`.
    let fonts_table = run("pdffonts", &[path_str(received)]);
    let cjk: Vec<&str> = fonts_table
        .lines()
        .filter(|l| l.contains("NotoSansCJK"))
        .collect();
    assert!(!cjk.is_empty(), "no Noto CJK font:\n{fonts_table}");
    for line in &cjk {
        let name = line.split_whitespace().next().unwrap();
        assert!(
            name.len() > 7 && name.as_bytes()[6] == b'+',
            "not a subset name: {line}"
        );
        assert!(
            line.contains("yes yes yes"),
            "not embedded+subset+unicode: {line}"
        );
    }

    let out = tempfile::tempdir().unwrap();
    let prefix = out.path().join("page");
    run(
        "pdftoppm",
        &[
            "-r",
            "150",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            path_str(received),
            path_str(&prefix),
        ],
    );
    let png = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("pdftoppm wrote a PNG");
    let image = image::open(&png).unwrap().to_luma8();
    let (width, height) = image.dimensions();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width as usize, height as usize, |x, y| {
            image.get_pixel(x as u32, y as u32)[0]
        });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code on the page");
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, common::QR_URL);
}

#[tokio::test]
async fn printer_status_follows_the_virtual_printers_paper_tray() {
    let printer = VirtualPrinter::start().unwrap();
    let status = printer_status(&printer.url()).await;
    assert_eq!(status.health, PrinterHealth::Ok, "{status:?}");

    printer.set_paper(PaperLevel::Empty).unwrap();
    let status = printer_status(&printer.url()).await;
    assert_eq!(status.health, PrinterHealth::PaperOut, "{status:?}");
    assert!(status.detail.unwrap().contains("media-empty"));

    printer.set_paper(PaperLevel::Low).unwrap();
    let status = printer_status(&printer.url()).await;
    assert_eq!(status.health, PrinterHealth::PaperLow, "{status:?}");

    printer.set_paper(PaperLevel::Full).unwrap();
    assert_eq!(
        printer_status(&printer.url()).await.health,
        PrinterHealth::Ok
    );
}

#[tokio::test]
async fn unreachable_printer_is_reported_as_such() {
    // A port nobody listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("ipp://127.0.0.1:{port}/ipp/print");
    let printer = IppPrinter::new(&url).unwrap().with_timeouts(IppTimeouts {
        status: Duration::from_secs(2),
        print: Duration::from_secs(2),
    });
    let err = printer.print_pdf(b"%PDF-1.7", "test").await.unwrap_err();
    assert_eq!(err.code(), "ipp.unreachable", "{err}");
    let status = printer.status().await;
    assert_eq!(status.health, PrinterHealth::Offline);
    assert!(status.detail.unwrap().contains("unreachable"));
}

#[tokio::test]
async fn printer_refuses_a_queue_that_does_not_exist() {
    let printer = VirtualPrinter::start().unwrap();
    let url = format!("ipp://127.0.0.1:{}/ipp/nonexistent", printer.port());
    let err = print_pdf(&url, b"%PDF-1.7\n%%EOF\n", "test")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ipp.refused", "{err}");
    assert!(err.to_string().contains("ClientErrorNotFound"), "{err}");
    assert!(printer.documents().unwrap().is_empty());
}
