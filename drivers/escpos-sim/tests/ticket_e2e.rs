//! A queue ticket printed by the real driver over a real TCP socket into the simulator.

use std::time::Duration;

use banshi_escpos::{
    encode, Align, CutMode, EncodeOptions, Printer, Slip, SlipLine, TextSize, Transport,
};
use banshi_escpos_sim::{
    render_png, text_lines, CutKind, Op, QrEcl, QrModel, SimConfig, SimState, Simulator,
};

const QR_URL: &str = "https://example.invalid/t/abc";

fn ticket() -> Slip {
    Slip::new()
        .push(SlipLine::Text {
            text: "海口市龙华区政务服务中心".into(),
            align: Align::Center,
            bold: true,
            size: TextSize::Normal,
        })
        .push(SlipLine::Separator)
        .push(SlipLine::Text {
            text: "A023".into(),
            align: Align::Center,
            bold: true,
            size: TextSize::Quad,
        })
        .push(SlipLine::Text {
            text: "个人业务".into(),
            align: Align::Center,
            bold: false,
            size: TextSize::Double,
        })
        .push(SlipLine::text("前面还有 3 人", Align::Center))
        .push(SlipLine::Feed(1))
        .push(SlipLine::Qr {
            data: QR_URL.into(),
            module_size: 6,
        })
        .push(SlipLine::text("2026-11-23 09:41", Align::Right))
}

#[tokio::test]
async fn ticket_printed_over_tcp_is_decoded() {
    let out = tempfile::tempdir().unwrap();
    let state = SimState::new(SimConfig {
        out_dir: Some(out.path().to_owned()),
        ..SimConfig::default()
    });
    let sim = Simulator::start("127.0.0.1:0", state).await.unwrap();
    let printer = Printer::new(Transport::Tcp {
        address: sim.local_addr().to_string(),
        timeout: Duration::from_secs(5),
    });
    let bytes = encode(&ticket(), &EncodeOptions::default()).unwrap();
    let sent = bytes.clone();
    tokio::task::spawn_blocking(move || printer.print(&sent))
        .await
        .unwrap()
        .unwrap();

    let jobs = sim.wait_for_jobs(1, Duration::from_secs(10)).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(
        job.bytes, bytes,
        "the simulator saw exactly the driver's bytes"
    );
    assert!(job.printed);
    assert_eq!(
        text_lines(&job.ops),
        vec![
            "海口市龙华区政务服务中心".to_owned(),
            "-".repeat(48),
            "A023".into(),
            "个人业务".into(),
            "前面还有 3 人".into(),
            String::new(),
            "2026-11-23 09:41".into(),
        ]
    );
    let qrs: Vec<&Op> = job
        .ops
        .iter()
        .filter(|op| matches!(op, Op::Qr { .. }))
        .collect();
    assert_eq!(
        qrs,
        vec![&Op::Qr {
            model: QrModel::Model2,
            size: 6,
            ecl: QrEcl::M,
            data: QR_URL.into()
        }]
    );
    assert_eq!(
        job.ops.last(),
        Some(&Op::Cut {
            mode: CutKind::Partial
        })
    );
    assert!(!job
        .ops
        .iter()
        .any(|op| matches!(op, Op::Unknown(_) | Op::Truncated(_))));

    // The text rendering a person reads in the log.
    let want = [
        "            海口市龙华区政务服务中心",
        "------------------------------------------------",
        "                A023",
        "                个人业务",
        "                 前面还有 3 人",
        "",
        "      [QR: https://example.invalid/t/abc]",
        "                                2026-11-23 09:41",
        "--- cut ---",
        "",
    ]
    .join("\n");
    assert_eq!(job.text, want);

    for ext in ["bin", "txt", "png"] {
        assert!(
            out.path().join(format!("job-0001.{ext}")).is_file(),
            "job-0001.{ext} written"
        );
    }
    if let Ok(dir) = std::env::var("BANSHI_ESCPOS_PNG_DIR") {
        std::fs::copy(
            out.path().join("job-0001.png"),
            std::path::Path::new(&dir).join("e2e-ticket.png"),
        )
        .unwrap();
    }
}

#[test]
fn qr_op_round_trips_through_qrcode_and_rqrr() {
    let bytes = encode(
        &Slip::new().push(SlipLine::Qr {
            data: QR_URL.into(),
            module_size: 4,
        }),
        &EncodeOptions {
            cut: CutMode::Full,
            paper_width_mm: 58,
        },
    )
    .unwrap();
    let ops = banshi_escpos_sim::parse(&bytes);
    let Some(Op::Qr { data, ecl, .. }) = ops.iter().find(|op| matches!(op, Op::Qr { .. })) else {
        panic!("no QR op in {ops:?}");
    };
    assert_eq!(*ecl, QrEcl::M);
    let code =
        qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M).unwrap();
    let modules = code.width();
    let colors = code.to_colors();
    // Render 4 px per module with a 4-module quiet zone, as a printer with module size 4 would.
    let (scale, quiet) = (4usize, 4usize);
    let side = (modules + 2 * quiet) * scale;
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        if mx < quiet || my < quiet || mx >= quiet + modules || my >= quiet + modules {
            return 255;
        }
        match colors[(my - quiet) * modules + (mx - quiet)] {
            qrcode::Color::Dark => 0,
            qrcode::Color::Light => 255,
        }
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, decoded) = grids[0].decode().unwrap();
    assert_eq!(decoded, QR_URL);
}

#[test]
fn ticket_png_is_sane() {
    let ops = banshi_escpos_sim::parse(&encode(&ticket(), &EncodeOptions::default()).unwrap());
    let img = render_png(&ops, 576).unwrap();
    assert_eq!(img.width(), 576);
    assert!(
        (400..1500).contains(&img.height()),
        "height {}",
        img.height()
    );
}
