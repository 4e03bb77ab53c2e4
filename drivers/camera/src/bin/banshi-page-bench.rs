//! Benchmark of the document page pipeline on a synthetic 10 MP 高拍仪 photo.
//!
//! Prints one JSON line per measurement (milliseconds per page, p50 and p99) so `cargo xtask bench`
//! can collect the figure. Run it with `--release`: the debug build says nothing about a terminal.
//! `--compare-encoders` also times the two pure-Rust JPEG encoders on the finished page, which is the
//! measurement behind the crate's choice of `jpeg-encoder`.

// A benchmark CLI reports on stdout; that is its whole job.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use anyhow::Context as _;
use banshi_camera::page::{encode_jpeg, scan_page, PageMode, PageOptions};
use banshi_camera::synthetic::{render, SyntheticScene};
use clap::{Parser, ValueEnum};

/// Time the page pipeline (find page, perspective, deskew, whiten, JPEG) on a synthetic photo.
#[derive(Debug, Parser)]
#[command(name = "banshi-page-bench")]
struct Args {
    /// Pages to process.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Photo width (3872 × 2592 is a 10 MP document camera).
    #[arg(long, default_value_t = 3872)]
    width: u32,
    /// Photo height.
    #[arg(long, default_value_t = 2592)]
    height: u32,
    /// Output resolution.
    #[arg(long, default_value_t = 200)]
    dpi: u32,
    /// Output colour mode.
    #[arg(long, value_enum, default_value_t = Mode::Colour)]
    mode: Mode,
    /// Also time `image`'s JPEG encoder against `jpeg-encoder` on the output page.
    #[arg(long)]
    compare_encoders: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    Colour,
    Grey,
    Bw,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let scene = SyntheticScene {
        width: args.width,
        height: args.height,
        rotation_deg: 9.0,
        keystone: 0.1,
        ..SyntheticScene::default()
    };
    let photo = render(&scene).image;
    let options = PageOptions {
        dpi: args.dpi,
        mode: match args.mode {
            Mode::Colour => PageMode::Colour,
            Mode::Grey => PageMode::Grey,
            Mode::Bw => PageMode::BlackAndWhite,
        },
        ..PageOptions::default()
    };
    let mut times = Vec::with_capacity(args.runs);
    let mut last = None;
    for _ in 0..args.runs.max(1) {
        let started = Instant::now();
        let page = scan_page(&photo, &options).context("page pipeline")?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        last = Some(page);
    }
    let page = last.context("no run")?;
    println!(
        "{}",
        serde_json::json!({
            "bench": "page_pipeline",
            "photo": format!("{}x{}", args.width, args.height),
            "page": format!("{}x{}", page.width, page.height),
            "dpi": args.dpi,
            "mode": format!("{:?}", args.mode).to_lowercase(),
            "runs": times.len(),
            "jpeg_bytes": page.jpeg.len(),
            "p50_ms": percentile(&mut times, 0.50),
            "p99_ms": percentile(&mut times, 0.99),
        })
    );

    if args.compare_encoders {
        let decoded = image::load_from_memory(&page.jpeg)?.to_rgb8();
        let encoders: [(&str, &Encode); 2] = [
            ("jpeg-encoder", &|| Ok(encode_jpeg(&decoded, 85)?)),
            ("image", &|| {
                let mut out = Vec::new();
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
                    .encode_image(&decoded)?;
                Ok(out)
            }),
        ];
        for (name, encode) in encoders {
            let mut times = Vec::new();
            let mut bytes = 0;
            for _ in 0..args.runs.max(1) {
                let started = Instant::now();
                bytes = encode()?.len();
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            println!(
                "{}",
                serde_json::json!({
                    "bench": "jpeg_encode",
                    "encoder": name,
                    "image": format!("{}x{}", decoded.width(), decoded.height()),
                    "quality": 85,
                    "bytes": bytes,
                    "p50_ms": percentile(&mut times, 0.50),
                    "p99_ms": percentile(&mut times, 0.99),
                })
            );
        }
    }
    Ok(())
}

/// One way of turning the page into JPEG bytes.
type Encode<'a> = dyn Fn() -> anyhow::Result<Vec<u8>> + 'a;

/// Nearest-rank percentile.
fn percentile(values: &mut [f64], quantile: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((quantile * values.len() as f64).ceil() as usize).clamp(1, values.len().max(1));
    let value = values.get(rank - 1).copied().unwrap_or(0.0);
    (value * 100.0).round() / 100.0
}
