//! Logs, request spans, OpenTelemetry export and W3C trace propagation.
//!
//! One code path whether or not traces are exported: spans always get OpenTelemetry trace and
//! span ids (so `traceparent` flows in and out and logs carry ids), and they are exported over
//! OTLP/HTTP only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

use std::io::IsTerminal;
use std::time::Duration;

use axum::extract::MatchedPath;
use http::{HeaderMap, Request, Response};
use odmu_config::{ConfigError, Env};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::{Level, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The header that carries the request id, accepted, generated when absent, and echoed.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// How log lines are written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for log collectors (CloudWatch, Loki).
    Json,
    /// One readable line per event, for people at a terminal.
    Pretty,
}

/// Telemetry settings (`LOG_FORMAT`, `RUST_LOG`, `OTEL_EXPORTER_OTLP_ENDPOINT`).
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// `LOG_FORMAT`: `json` or `pretty` (default `pretty`).
    pub format: LogFormat,
    /// `RUST_LOG`: an `EnvFilter` directive (default `info`).
    pub filter: String,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: OTLP/HTTP base URL; traces are exported only when set.
    pub otlp_endpoint: Option<String>,
}

impl TelemetryConfig {
    /// Reads and checks the telemetry variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let format = env.one_of(
            "LOG_FORMAT",
            LogFormat::Pretty,
            &[("json", LogFormat::Json), ("pretty", LogFormat::Pretty)],
        )?;
        let filter = env.string_or("RUST_LOG", "info");
        EnvFilter::try_new(&filter).map_err(|e| ConfigError::invalid("RUST_LOG", e.to_string()))?;
        let otlp_endpoint = match env.raw("OTEL_EXPORTER_OTLP_ENDPOINT") {
            Some(_) => Some(env.http_url_or("OTEL_EXPORTER_OTLP_ENDPOINT", "")?),
            None => None,
        };
        Ok(Self {
            format,
            filter,
            otlp_endpoint,
        })
    }
}

/// Telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The OTLP exporter could not be built.
    #[error("OTEL_EXPORTER_OTLP_ENDPOINT: cannot build the OTLP exporter: {0}")]
    Exporter(String),
    /// A global subscriber was already installed in this process.
    #[error("a tracing subscriber is already installed: {0}")]
    AlreadyInstalled(String),
}

/// Keeps the tracer provider alive; [`Telemetry::shutdown`] flushes pending spans.
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Flushes and stops span export. Blocking: call it after the async runtime has stopped.
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!(error = %e, "trace export did not shut down cleanly");
        }
    }
}

/// A tracer provider for `service`; exports over OTLP/HTTP only when an endpoint is given.
pub fn tracer_provider(
    service: &str,
    otlp_endpoint: Option<&str>,
) -> Result<SdkTracerProvider, TelemetryError> {
    let resource = Resource::builder()
        .with_service_name(service.to_owned())
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = otlp_endpoint {
        use opentelemetry_otlp::WithExportConfig as _;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(format!("{endpoint}/v1/traces"))
            .with_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        builder = builder.with_batch_exporter(exporter);
    }
    Ok(builder.build())
}

/// The layer that gives spans OpenTelemetry ids and exports them. Spans are entered on every
/// poll of a request's future, so it records only what a trace needs: no busy/idle timing (two
/// clock reads per poll), no source location or thread attributes per span, and no
/// OpenTelemetry context activation on entry ([`inject_trace_context`] reads the span's own).
pub fn otel_layer<S>(
    provider: &SdkTracerProvider,
    name: &'static str,
) -> tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::SdkTracer>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(name))
        .with_tracked_inactivity(false)
        .with_location(false)
        .with_threads(false)
        .with_context_activation(false)
}

/// Installs the process-wide subscriber: filter, log format and the OpenTelemetry layer.
/// Call once, from `main`, before the async runtime starts.
pub fn init(service: &str, config: &TelemetryConfig) -> Result<Telemetry, TelemetryError> {
    let provider = tracer_provider(service, config.otlp_endpoint.as_deref())?;
    let otel = otel_layer(&provider, "odmu");
    let filter = EnvFilter::new(&config.filter);
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let result = match config.format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_target(true),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .compact()
                    .fmt_fields(escaped_fields())
                    .with_ansi(std::io::stdout().is_terminal())
                    .with_target(false),
            )
            .try_init(),
    };
    result.map_err(|e| TelemetryError::AlreadyInstalled(e.to_string()))?;
    Ok(Telemetry { provider })
}

/// The text format's fields with every control character escaped (`\n`, `\u{0}`), so a value
/// that came from a request (a client id, a path) can never start a forged line or reach a
/// terminal raw. The JSON format escapes them by itself.
pub fn escaped_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> + 'static {
    use tracing_subscriber::field::MakeExt as _;
    tracing_subscriber::fmt::format::debug_fn(
        |w: &mut tracing_subscriber::fmt::format::Writer<'_>,
         field: &tracing::field::Field,
         value: &dyn std::fmt::Debug| {
            use std::fmt::Write as _;
            if field.name() != "message" {
                write!(w, "{field}=")?;
            }
            write!(Escaping(w), "{value:?}")
        },
    )
    .delimited(" ")
}

/// Writes through to `W` with control characters escaped.
struct Escaping<W>(W);

impl<W: std::fmt::Write> std::fmt::Write for Escaping<W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for part in s.split_inclusive(char::is_control) {
            match part.char_indices().last() {
                Some((i, c)) if c.is_control() => {
                    self.0.write_str(&part[..i])?;
                    for e in c.escape_default() {
                        self.0.write_char(e)?;
                    }
                }
                _ => self.0.write_str(part)?,
            }
        }
        Ok(())
    }
}

/// The server span of one request, named by the matched route (`GET /billing/v1/invoices/{id}`)
/// so that names stay low-cardinality, and parented on the caller's `traceparent` if any.
/// Use as `TraceLayer::make_span_with` on routes (it needs axum's `MatchedPath`).
pub fn make_server_span<B>(request: &Request<B>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or("unmatched");
    let method = request.method();
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Probes get a DEBUG span so that load balancer health checks stay out of INFO logs.
    macro_rules! request_span {
        ($level:expr) => {
            tracing::span!(
                $level,
                "request",
                otel.name = %format_args!("{method} {route}"),
                otel.kind = "server",
                http.request.method = %method,
                http.route = %route,
                request_id = %request_id,
            )
        };
    }
    let span = if is_probe(route) {
        request_span!(Level::DEBUG)
    } else {
        request_span!(Level::INFO)
    };
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(request.headers()));
    let _ = span.set_parent(parent);
    span
}

/// Logs one line per request with its status and latency (probes at DEBUG, so that load
/// balancer health checks do not flood the logs) and puts the status on the exported span.
///
/// The two go on the log event and straight onto the OpenTelemetry span rather than through
/// `Span::record`: recording a field on a span makes the JSON log layer parse and re-write the
/// span's whole field set, which cost about a twentieth of a short request's CPU.
pub fn on_response<B>(response: &Response<B>, latency: Duration, span: &Span) {
    let status = response.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    span.set_attribute("http.response.status_code", i64::from(status));
    // A disabled span is a filtered-out probe span (or logging is off): log at DEBUG.
    let probe = span.metadata().is_none_or(|m| *m.level() == Level::DEBUG);
    if probe {
        tracing::debug!(
            http.response.status_code = status,
            latency_ms,
            "request completed"
        );
    } else {
        tracing::info!(
            http.response.status_code = status,
            latency_ms,
            "request completed"
        );
    }
}

fn is_probe(route: &str) -> bool {
    route.ends_with("/health") || route.ends_with("/ready")
}

/// Writes the current span's trace context into outgoing headers as W3C `traceparent`.
pub fn inject_trace_context(headers: &mut HeaderMap) {
    let context = Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TraceContextExt as _;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    /// Finding: a newline in a client id wrote a second, forged log line in the text format,
    /// and NUL went out raw.
    #[test]
    fn the_text_format_escapes_controls_in_every_field() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .compact()
            .fmt_fields(escaped_fields())
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let forged = "svc\n2026-01-01T00:00:00Z  INFO admin logged in\u{0}";
            tracing::info!(client_id = %forged, debug = ?forged, "token asked by {forged}");
        });
        let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(!out.contains('\0'), "{out}");
        assert!(out.contains("client_id=svc\\n2026"), "{out}");
        assert!(out.contains("token asked by svc\\n"), "{out}");
    }

    #[test]
    fn config_defaults_to_pretty_info_and_no_export() {
        let c = TelemetryConfig::from_env(&env(&[])).unwrap();
        assert_eq!(c.format, LogFormat::Pretty);
        assert_eq!(c.filter, "info");
        assert_eq!(c.otlp_endpoint, None);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let e = TelemetryConfig::from_env(&env(&[("LOG_FORMAT", "xml")])).unwrap_err();
        assert!(e.to_string().contains("LOG_FORMAT"));
        let e = TelemetryConfig::from_env(&env(&[("RUST_LOG", "info,[[")])).unwrap_err();
        assert!(e.to_string().contains("RUST_LOG"));
        let e = TelemetryConfig::from_env(&env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "jaeger")]))
            .unwrap_err();
        assert!(e.to_string().contains("OTEL_EXPORTER_OTLP_ENDPOINT"));
    }

    #[test]
    fn traceparent_flows_in_and_out_of_a_request_span() {
        let provider = tracer_provider("test", None).unwrap();
        let subscriber = tracing_subscriber::registry().with(otel_layer(&provider, "test"));
        tracing::subscriber::with_default(subscriber, || {
            let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            let request = Request::builder()
                .uri("/billing/v1/invoices")
                .header("traceparent", incoming)
                .body(())
                .unwrap();
            let span = make_server_span(&request);
            let _entered = span.enter();
            let mut outgoing = HeaderMap::new();
            inject_trace_context(&mut outgoing);
            let out = outgoing["traceparent"].to_str().unwrap();
            // Same trace, new span id: the call is a child of the request.
            assert!(
                out.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
                "{out}"
            );
            assert!(!out.contains("00f067aa0ba902b7"), "{out}");
            let cx = Span::current().context();
            assert_eq!(
                cx.span().span_context().trace_id().to_string(),
                "4bf92f3577b34da6a3ce929d0e0e4736"
            );
        });
    }

    #[test]
    fn a_request_without_traceparent_starts_a_new_trace() {
        let provider = tracer_provider("test", None).unwrap();
        let subscriber = tracing_subscriber::registry().with(otel_layer(&provider, "test"));
        tracing::subscriber::with_default(subscriber, || {
            let request = Request::builder().uri("/x").body(()).unwrap();
            let span = make_server_span(&request);
            let _entered = span.enter();
            let mut outgoing = HeaderMap::new();
            inject_trace_context(&mut outgoing);
            let out = outgoing["traceparent"].to_str().unwrap();
            assert_eq!(out.len(), 55, "{out}");
            assert!(!out.contains("00000000000000000000000000000000"));
        });
    }
}
