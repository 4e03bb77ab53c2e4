//! Prometheus metrics (`GET /metrics`, text exposition format).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub status: u16,
}

/// The server's metrics and the registry that renders them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<RouteLabels, Counter>,
    pub sync_messages_received: Counter,
    /// Bytes of automerge sync messages received and sent (bodies only), to compare with change bytes.
    pub sync_bytes_received: Counter,
    pub sync_bytes_sent: Counter,
    pub documents_changed: Counter,
    pub documents: Gauge,
    pub feed_waiting: Gauge,
    pub blob_chunks_received: Counter,
    pub blob_chunks_sent: Counter,
    pub blobs_stored: Counter,
    pub blobs_deduplicated: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("banshi_server");
        let http_requests = Family::<RouteLabels, Counter>::default();
        let sync_messages_received = Counter::default();
        let documents_changed = Counter::default();
        let sync_bytes_received = Counter::default();
        let sync_bytes_sent = Counter::default();
        let documents = Gauge::default();
        let feed_waiting = Gauge::default();
        registry.register(
            "sync_bytes_received",
            "bytes of automerge sync messages received",
            sync_bytes_received.clone(),
        );
        registry.register(
            "sync_bytes_sent",
            "bytes of automerge sync messages sent",
            sync_bytes_sent.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by matched route and status",
            http_requests.clone(),
        );
        registry.register(
            "sync_messages_received",
            "automerge sync messages received from terminals",
            sync_messages_received.clone(),
        );
        registry.register(
            "documents_changed",
            "documents changed by received sync messages",
            documents_changed.clone(),
        );
        registry.register(
            "documents",
            "documents stored (as of the last scrape)",
            documents.clone(),
        );
        registry.register(
            "feed_waiting",
            "feed long-polls waiting for their scope to change",
            feed_waiting.clone(),
        );
        let blob_chunks_received = Counter::default();
        let blob_chunks_sent = Counter::default();
        let blobs_stored = Counter::default();
        let blobs_deduplicated = Counter::default();
        registry.register(
            "blob_chunks_received",
            "blob chunks received and kept for an upload",
            blob_chunks_received.clone(),
        );
        registry.register(
            "blob_chunks_sent",
            "blob chunks sent to downloading terminals",
            blob_chunks_sent.clone(),
        );
        registry.register(
            "blobs_stored",
            "blob uploads verified whose content was new",
            blobs_stored.clone(),
        );
        registry.register(
            "blobs_deduplicated",
            "blob uploads verified whose content was already stored",
            blobs_deduplicated.clone(),
        );
        Self {
            registry,
            http_requests,
            sync_messages_received,
            sync_bytes_received,
            sync_bytes_sent,
            documents_changed,
            documents,
            feed_waiting,
            blob_chunks_received,
            blob_chunks_sent,
            blobs_stored,
            blobs_deduplicated,
        }
    }
}

impl Metrics {
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
