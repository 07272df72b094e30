//! The local stand-in for the Application Load Balancer: `{prefix}` and `{prefix}/*` go to the
//! owning service with the path unchanged (the ALB does not strip it); internal and metrics
//! paths (`odmu_topology::PRIVATE_PATH_PATTERNS`, the same values as the listener's blocking
//! rules) and anything else are a 404 problem+json, like the listener's rules and default
//! action.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use odmu_http::Problem;
use odmu_topology::Service;

/// How long the gateway waits for a service's answer (the ALB's default idle timeout).
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// Headers that belong to one connection and must not be forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Routing table and connection pool of the gateway.
#[derive(Clone)]
pub struct Gateway {
    routes: Arc<Vec<(&'static Service, String)>>,
    client: Client<HttpConnector, Body>,
    port: u16,
}

impl Gateway {
    /// A gateway on `port` in front of `services`, each at its `host:port` authority.
    pub fn new(port: u16, services: Vec<(&'static Service, String)>) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Self {
            routes: Arc::new(services),
            client,
            port,
        }
    }

    /// The router: one fallback that matches every method and path.
    pub fn router(self) -> Router {
        Router::new().fallback(proxy).with_state(self)
    }

    fn upstream(&self, path: &str) -> Option<(&'static Service, &str)> {
        self.routes
            .iter()
            .find(|(s, _)| s.owns(path))
            .map(|(s, a)| (*s, a.as_str()))
    }
}

async fn proxy(
    State(gateway): State<Gateway>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
) -> Response {
    let path = request.uri().path().to_owned();
    if odmu_topology::is_private(&path) {
        return Problem::not_found("This path is not served to the public.")
            .with_instance(path)
            .into_response();
    }
    let Some((service, authority)) = gateway.upstream(&path) else {
        return Problem::not_found("No service serves this path.")
            .with_instance(path)
            .into_response();
    };
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or(path.as_str(), |pq| pq.as_str());
    let Ok(uri) = format!("http://{authority}{path_and_query}").parse::<Uri>() else {
        return Problem::bad_request("The request target is not a valid URI.").into_response();
    };
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    strip_hop_by_hop(headers);
    // As the ALB does: who called, over what, on which port.
    let forwarded_for = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prior) => format!("{prior}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&forwarded_for) {
        headers.insert(HeaderName::from_static("x-forwarded-for"), v);
    }
    headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static("http"),
    );
    headers.insert(
        HeaderName::from_static("x-forwarded-port"),
        HeaderValue::from(gateway.port),
    );

    match tokio::time::timeout(UPSTREAM_TIMEOUT, gateway.client.request(request)).await {
        Ok(Ok(response)) => {
            let mut response = response.map(Body::new);
            strip_hop_by_hop(response.headers_mut());
            response
        }
        Ok(Err(e)) => {
            tracing::warn!(service = service.name, error = %e, "upstream unavailable");
            Problem::new(axum::http::StatusCode::BAD_GATEWAY)
                .with_detail(format!("{} is not answering.", service.name))
                .with_instance(path)
                .into_response()
        }
        Err(_) => Problem::new(axum::http::StatusCode::GATEWAY_TIMEOUT)
            .with_detail(format!("{} did not answer in time.", service.name))
            .with_instance(path)
            .into_response(),
    }
}

fn strip_hop_by_hop(headers: &mut axum::http::HeaderMap) {
    // Headers named by `Connection` are hop-by-hop too.
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}
