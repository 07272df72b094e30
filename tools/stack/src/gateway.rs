//! The local stand-in for the Application Load Balancer: `{prefix}` and `{prefix}/*` go to the
//! owning service with the path unchanged (the ALB does not strip it); internal and metrics
//! paths (`odmu_topology::PRIVATE_PATH_PATTERNS`, the same values as the listener's blocking
//! rules) and anything else are a 404 problem+json, like the listener's rules and default
//! action.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

/// How long a client has to send the whole body of its request.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

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

/// One replica of a service behind the gateway, like a target in a target group.
#[derive(Debug)]
pub struct Target {
    /// `host:port`.
    pub authority: String,
    /// Registered: the stack takes a replica out before stopping it (deregistration).
    registered: AtomicBool,
    /// Its health check passes (two failures in a row take it out, one success back).
    healthy: AtomicBool,
    failures: AtomicUsize,
    /// Requests it is serving now.
    in_flight: AtomicUsize,
}

impl Target {
    fn new(authority: String) -> Self {
        Self {
            authority,
            registered: AtomicBool::new(true),
            healthy: AtomicBool::new(true),
            failures: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Registered and passing its health checks: the gateway sends it requests.
    pub fn routable(&self) -> bool {
        self.registered.load(Ordering::Acquire) && self.healthy.load(Ordering::Acquire)
    }

    /// Requests it is serving now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Takes it out of (false) or puts it back into (true) the rotation.
    pub fn set_registered(&self, registered: bool) {
        self.registered.store(registered, Ordering::Release);
    }
}

/// The targets of one service, in round-robin.
#[derive(Debug)]
struct Pool {
    service: &'static Service,
    targets: Vec<Arc<Target>>,
    next: AtomicUsize,
}

impl Pool {
    fn pick(&self) -> Option<Arc<Target>> {
        let n = self.targets.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.targets[(start + i) % n])
            .find(|t| t.routable())
            .cloned()
    }
}

/// Routing table and connection pool of the gateway.
#[derive(Clone)]
pub struct Gateway {
    pools: Arc<Vec<Pool>>,
    client: Client<HttpConnector, Body>,
    port: u16,
    /// The mesh between services (ECS Service Connect's stand-in): internal paths pass.
    mesh: bool,
}

impl Gateway {
    /// A gateway on `port` in front of `services`, each at the `host:port` authorities of its
    /// replicas.
    pub fn new(port: u16, services: Vec<(&'static Service, Vec<String>)>) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        let pools = services
            .into_iter()
            .map(|(service, authorities)| Pool {
                service,
                targets: authorities
                    .into_iter()
                    .map(|a| Arc::new(Target::new(a)))
                    .collect(),
                next: AtomicUsize::new(0),
            })
            .collect();
        Self {
            pools: Arc::new(pools),
            client,
            port,
            mesh: false,
        }
    }

    /// The same targets seen from inside: services calling each other (internal paths
    /// included), balanced over the ready replicas as ECS Service Connect does.
    pub fn mesh(&self) -> Self {
        Self {
            mesh: true,
            ..self.clone()
        }
    }

    /// The router: one fallback that matches every method and path.
    pub fn router(self) -> Router {
        Router::new().fallback(proxy).with_state(self)
    }

    /// Replica `replica` of `service`, for the stack to deregister and register.
    pub fn target(&self, service: &str, replica: usize) -> Option<Arc<Target>> {
        self.pools
            .iter()
            .find(|p| p.service.name == service)
            .and_then(|p| p.targets.get(replica).cloned())
    }

    /// Health checks every target's `{prefix}/health` each `interval`, like a target group;
    /// runs until the task is dropped.
    pub async fn check_health(self, interval: Duration) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for pool in self.pools.iter() {
                for target in &pool.targets {
                    let ok = self.probe(pool.service, target).await;
                    if ok {
                        target.failures.store(0, Ordering::Release);
                        target.healthy.store(true, Ordering::Release);
                    } else if target.failures.fetch_add(1, Ordering::AcqRel) + 1 >= 2 {
                        target.healthy.store(false, Ordering::Release);
                    }
                }
            }
        }
    }

    async fn probe(&self, service: &Service, target: &Target) -> bool {
        let Ok(uri) =
            format!("http://{}{}", target.authority, service.health_path()).parse::<Uri>()
        else {
            return false;
        };
        let Ok(request) = axum::http::Request::get(uri).body(Body::empty()) else {
            return false;
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(1), self.client.request(request)).await,
            Ok(Ok(r)) if r.status().is_success()
        )
    }

    fn upstream(&self, path: &str) -> Option<(&'static Service, Option<Arc<Target>>)> {
        self.pools
            .iter()
            .find(|p| p.service.owns(path))
            .map(|p| (p.service, p.pick()))
    }
}

/// Counts a request on its target while it is served.
struct InFlight(Arc<Target>);

impl InFlight {
    fn new(target: Arc<Target>) -> Self {
        target.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(target)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

async fn proxy(
    State(gateway): State<Gateway>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let path = request.uri().path().to_owned();
    if !gateway.mesh && odmu_topology::is_private(&path) {
        return Problem::not_found("This path is not served to the public.")
            .with_instance(path)
            .into_response();
    }
    let Some((service, target)) = gateway.upstream(&path) else {
        return Problem::not_found("No service serves this path.")
            .with_instance(path)
            .into_response();
    };
    // As the ALB with no healthy target in the group: 503.
    let Some(target) = target else {
        return Problem::unavailable(format!("{} has no healthy target.", service.name))
            .with_instance(path)
            .into_response();
    };
    // The request body, whole, before any target is bothered: the client's mistakes are the
    // client's 4xx here, never a 502 from a target that answered early and closed.
    let mut request = match whole_body(request).await {
        Ok(request) => request,
        Err(problem) => return problem.with_instance(path).into_response(),
    };
    let in_flight = InFlight::new(target);
    let authority = in_flight.0.authority.as_str();
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
            // The target counts as busy until the whole body has been sent on.
            let mut response = response.map(|body| {
                Body::new(http_body_util::BodyExt::map_frame(body, move |frame| {
                    let _ = &in_flight;
                    frame
                }))
            });
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

/// `request` with its body read (at most the services' limit, within [`BODY_TIMEOUT`]), or
/// the problem to answer: a body over the limit 413, one that stops short 408. (A
/// Content-Length beside a Transfer-Encoding never gets here with both: hyper takes the
/// message as chunked, drops the length and closes the connection after answering.)
async fn whole_body(request: Request) -> Result<Request, Problem> {
    use odmu_http::{BODY_LIMIT_BYTES, BodyError, DRAIN_LIMIT_BYTES};
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Too much to be worth reading before refusing: refused at once, the connection closed.
    if declared.is_some_and(|n| n > DRAIN_LIMIT_BYTES as u64) {
        return Err(BodyError::TooLarge(BODY_LIMIT_BYTES).problem());
    }
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(BODY_TIMEOUT, odmu_http::read_body(body, BODY_LIMIT_BYTES)).await {
        Ok(Ok(bytes)) => Ok(Request::from_parts(parts, Body::from(bytes))),
        Ok(Err(e)) => Err(e.problem()),
        Err(_) => Err(BodyError::TimedOut(BODY_TIMEOUT).problem()),
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
