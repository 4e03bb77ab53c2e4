//! The simulator's command line, shared by `banshi-escpos-sim` and `banshi devices sim printer`.
//!
//! Point a terminal's printer profile at `--listen` and every ticket it prints is logged as text
//! (at info level, for whoever watches the demo) and, with `--out`, saved as
//! `job-NNNN.{bin,txt,png}`. The paper state can be changed while it runs by typing `paper ok`,
//! `paper near-end`, `paper out`, `offline on` or `offline off` on standard input, so the kiosk's
//! "printer needs attention" path can be shown live.

use std::io::BufRead;
use std::path::PathBuf;

use crate::{PaperFont, PaperState, SimConfig, SimState};
use anyhow::Context;
use clap::{Args, ValueEnum};
use tokio::net::TcpListener;

/// The paper roll at start-up.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Paper {
    /// Paper present.
    Ok,
    /// The near-end sensor has fired.
    NearEnd,
    /// No paper.
    Out,
}

impl From<Paper> for PaperState {
    fn from(p: Paper) -> Self {
        match p {
            Paper::Ok => PaperState::Ok,
            Paper::NearEnd => PaperState::NearEnd,
            Paper::Out => PaperState::Out,
        }
    }
}

/// Simulated ESC/POS network printer (raw TCP, port 9100 style).
///
/// Decodes every job (GB18030 Chinese text, GS ( k QR codes, cuts), logs its text, answers
/// DLE EOT status requests, and optionally writes job-NNNN.bin/.txt/.png files. While running,
/// type `paper ok|near-end|out` or `offline on|off` and Enter to change the printer's state.
/// Log verbosity follows RUST_LOG (default: info).
/// The simulator's options.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9100")]
    pub listen: String,
    /// Directory for job-NNNN.bin, .txt and .png (created if missing).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Initial paper state.
    #[arg(long, value_enum, default_value = "ok")]
    pub paper: Paper,
    /// Start with the printer reporting itself offline.
    #[arg(long)]
    pub offline: bool,
    /// Width of the PNG renderings in printer dots (576 for 80 mm, 384 for 58 mm).
    #[arg(long, default_value_t = 576)]
    pub png_width: u32,
}

/// Run the simulator until Ctrl-C.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating output directory {}", dir.display()))?;
        if let Err(e) = PaperFont::load_default() {
            tracing::warn!(error = %e, "PNG files will not be written");
        }
    }
    let state = SimState::new(SimConfig {
        paper: args.paper.into(),
        offline: args.offline,
        out_dir: args.out.clone(),
        png_width_px: args.png_width,
    });
    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;

    // A plain thread, not tokio's stdin: a pending tokio stdin read would hold up the runtime's
    // shutdown after Ctrl-C, while a detached thread simply ends with the process.
    let control = state.clone();
    std::thread::spawn(move || control_from_stdin(&control));
    tokio::select! {
        served = crate::serve(listener, state) => {
            served.context("simulator stopped")?;
        }
        signal = tokio::signal::ctrl_c() => {
            signal.context("waiting for Ctrl-C")?;
            tracing::info!("Ctrl-C: stopping the printer simulator");
        }
    }
    Ok(())
}

/// Reads `paper …` / `offline …` commands until standard input closes.
fn control_from_stdin(state: &SimState) {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { return };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] => {}
            ["paper", p] => match p.parse::<PaperState>() {
                Ok(paper) => state.set_paper(paper),
                Err(e) => tracing::warn!("{e}"),
            },
            ["offline", "on"] => state.set_offline(true),
            ["offline", "off"] => state.set_offline(false),
            _ => tracing::warn!(
                input = %line,
                "commands: paper ok|near-end|out, offline on|off"
            ),
        }
    }
}
