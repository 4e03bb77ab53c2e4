//! A local stand-in for the hall's face comparison service, speaking the same HTTP + JSON contract.
//!
//! It binds `127.0.0.1:0` (a free port per test), decodes both base64 images for real and scores them
//! with [`similarity_score`](super::similarity::similarity_score), so the client's request encoding, the
//! server's decoding and the score all run on real bytes. It can be told to fail every request with a
//! given HTTP status, to exercise the client's error mapping.

use std::net::SocketAddr;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::compare::{CompareRequest, CompareResponse, ServiceError};
use super::similarity::similarity_score;

/// How the simulator behaves.
#[derive(Debug, Clone, Default)]
pub struct SimulatorOptions {
    /// Answer every comparison with this HTTP status and a `{code: "simulated_failure"}` body.
    pub fail_with_status: Option<u16>,
}

/// A running simulator. Dropping it without [`FaceSimulator::shutdown`] leaves the task running until
/// the runtime ends.
#[derive(Debug)]
pub struct FaceSimulator {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl FaceSimulator {
    /// Starts a simulator on a free loopback port.
    pub async fn start(options: SimulatorOptions) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/compare", post(compare))
            .route(
                "/health",
                get(|| async { Json(serde_json::json!({"status": "ok"})) }),
            )
            // Two base64 photos of a few MB each must fit (axum's default limit is 2 MB).
            .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
            .with_state(options);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(err) = server.await {
                tracing::warn!(%err, "face simulator stopped with an error");
            }
        });
        tracing::debug!(%addr, "face comparison simulator listening");
        Ok(Self {
            addr,
            stop: Some(stop),
            task,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL for [`FaceComparer`](super::FaceComparer).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits until the port is closed.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

type Refusal = (StatusCode, Json<ServiceError>);

fn refuse(status: StatusCode, code: &str, message: String) -> Refusal {
    (
        status,
        Json(ServiceError {
            code: code.into(),
            message,
        }),
    )
}

async fn compare(
    State(options): State<SimulatorOptions>,
    Json(request): Json<CompareRequest>,
) -> Result<Json<CompareResponse>, Refusal> {
    if let Some(status) = options.fail_with_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(refuse(
            status,
            "simulated_failure",
            "simulated failure".into(),
        ));
    }
    let engine = base64::engine::general_purpose::STANDARD;
    let decode = |field: &str, value: &str| {
        engine.decode(value).map_err(|err| {
            refuse(
                StatusCode::BAD_REQUEST,
                "bad_image",
                format!("{field}: {err}"),
            )
        })
    };
    let id_photo = decode("id_photo", &request.id_photo)?;
    let live_photo = decode("live_photo", &request.live_photo)?;
    // Scoring decodes two photos: keep it off the async workers.
    let score = tokio::task::spawn_blocking(move || similarity_score(&id_photo, &live_photo))
        .await
        .map_err(|err| {
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                err.to_string(),
            )
        })?
        .map_err(|err| refuse(StatusCode::BAD_REQUEST, "bad_image", err.to_string()))?;
    Ok(Json(CompareResponse { score }))
}
