//! The one table of odmu's services (DESIGN.md §1).
//!
//! The local gateway and stack read it; compose.yaml, Terraform and the CI pipeline are tested
//! against it. Change a port or a prefix here and every place that disagrees fails a test.

/// One service of the platform, as the load balancer and the other services see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// Crate and binary name, also the name of the folder under `services/`.
    pub name: &'static str,
    /// Traffic port (the container port in production, the local port by default).
    pub port: u16,
    /// Public path prefix; the load balancer forwards `{prefix}` and `{prefix}/*` unchanged.
    pub prefix: &'static str,
    /// Name of the service's own database (one per service, never shared).
    pub database: &'static str,
    /// Environment variable through which other services find this one's base URL.
    pub url_var: &'static str,
    /// Services this one calls (the call graph is a DAG).
    pub calls: &'static [&'static str],
}

impl Service {
    /// Liveness path, also the load balancer's target group health check.
    pub fn health_path(&self) -> String {
        format!("{}/health", self.prefix)
    }

    /// Readiness path: database reachable, migrations applied, not shutting down.
    pub fn ready_path(&self) -> String {
        format!("{}/ready", self.prefix)
    }

    /// Path of the generated OpenAPI document.
    pub fn openapi_path(&self) -> String {
        format!("{}/openapi.json", self.prefix)
    }

    /// Path of the API docs page (Swagger UI over the document).
    pub fn docs_path(&self) -> String {
        format!("{}/docs", self.prefix)
    }

    /// Whether a request path belongs to this service: exactly `{prefix}` or under `{prefix}/`.
    /// `/billingx` is not `/billing`.
    pub fn owns(&self, path: &str) -> bool {
        match path.strip_prefix(self.prefix) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }
}

/// Paths the public load balancer answers 404 for, whatever the service: internal endpoints
/// and metrics (DESIGN.md §3). Written in the ALB's path-pattern syntax (`*` matches any run of
/// characters, `/` included); the Terraform listener rules use exactly these values, and the
/// local gateway matches them with [`is_private`].
pub const PRIVATE_PATH_PATTERNS: [&str; 6] = [
    "/*/v1/internal",
    "/*/v1/internal/*",
    "/metrics",
    "/metrics/*",
    "/*/metrics",
    "/*/metrics/*",
];

/// Whether the load balancer keeps `path` private (one of [`PRIVATE_PATH_PATTERNS`]).
pub fn is_private(path: &str) -> bool {
    PRIVATE_PATH_PATTERNS
        .iter()
        .any(|p| glob_matches(p.as_bytes(), path.as_bytes()))
}

/// The ALB's path-pattern match: `*` is any run of characters, `?` one character, the rest
/// literal and case-sensitive.
fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob_matches(rest, &text[i..])),
        Some((b'?', rest)) => !text.is_empty() && glob_matches(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && glob_matches(rest, &text[1..]),
    }
}

/// Port of the local gateway that plays the load balancer.
pub const GATEWAY_PORT: u16 = 8080;

/// odmu_auth: see DESIGN.md §1.
pub const AUTH: Service = Service {
    name: "odmu_auth",
    port: 3003,
    prefix: "/auth",
    database: "odmu_auth",
    url_var: "AUTH_URL",
    calls: &[],
};

/// odmu_contractual: see DESIGN.md §1.
pub const CONTRACTUAL: Service = Service {
    name: "odmu_contractual",
    port: 3004,
    prefix: "/contract",
    database: "odmu_contractual",
    url_var: "CONTRACTUAL_URL",
    calls: &["odmu_auth"],
};

/// billing: see DESIGN.md §1.
pub const BILLING: Service = Service {
    name: "billing",
    port: 3001,
    prefix: "/billing",
    database: "billing",
    url_var: "BILLING_URL",
    calls: &["odmu_contractual", "odmu_auth"],
};

/// driver_api: see DESIGN.md §1.
pub const DRIVER_API: Service = Service {
    name: "driver_api",
    port: 3002,
    prefix: "/driver",
    database: "driver_api",
    url_var: "DRIVER_API_URL",
    calls: &["odmu_contractual", "billing", "odmu_auth"],
};

/// client_app_api: see DESIGN.md §1.
pub const CLIENT_APP_API: Service = Service {
    name: "client_app_api",
    port: 3000,
    prefix: "/client",
    database: "client_app_api",
    url_var: "CLIENT_APP_API_URL",
    calls: &["odmu_contractual", "driver_api", "billing", "odmu_auth"],
};

/// The five services, in start-up order (dependencies first).
pub const SERVICES: [Service; 5] = [AUTH, CONTRACTUAL, BILLING, DRIVER_API, CLIENT_APP_API];

/// The service with this name, if any.
pub fn by_name(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name == name)
}

/// The service that owns a request path, the way the load balancer's path rules decide it.
pub fn route(path: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.owns(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_ports_prefixes_and_databases_are_unique() {
        let names: HashSet<_> = SERVICES.iter().map(|s| s.name).collect();
        let ports: HashSet<_> = SERVICES.iter().map(|s| s.port).collect();
        let prefixes: HashSet<_> = SERVICES.iter().map(|s| s.prefix).collect();
        let dbs: HashSet<_> = SERVICES.iter().map(|s| s.database).collect();
        assert_eq!(names.len(), 5);
        assert_eq!(ports.len(), 5);
        assert_eq!(prefixes.len(), 5);
        assert_eq!(dbs.len(), 5);
        assert!(!ports.contains(&GATEWAY_PORT));
    }

    #[test]
    fn call_graph_names_known_services_and_has_no_cycle() {
        // Start-up order doubles as a topological order: every callee comes earlier.
        for (i, s) in SERVICES.iter().enumerate() {
            for callee in s.calls {
                let j = SERVICES.iter().position(|c| c.name == *callee);
                assert!(
                    matches!(j, Some(j) if j < i),
                    "{} calls {callee} out of order",
                    s.name
                );
            }
        }
    }

    #[test]
    fn routes_exact_prefix_and_subpaths_but_not_look_alikes() {
        assert_eq!(route("/billing").map(|s| s.name), Some("billing"));
        assert_eq!(route("/billing/").map(|s| s.name), Some("billing"));
        assert_eq!(
            route("/billing/v1/invoices").map(|s| s.name),
            Some("billing")
        );
        assert_eq!(
            route("/auth/.well-known/jwks.json").map(|s| s.port),
            Some(3003)
        );
        assert_eq!(route("/billingx"), None);
        assert_eq!(route("/"), None);
        assert_eq!(route(""), None);
        assert_eq!(route("/unknown"), None);
        assert_eq!(route("/client2/health"), None);
    }

    #[test]
    fn internal_and_metrics_paths_are_private_and_nothing_else_is() {
        for path in [
            "/driver/v1/internal/rides",
            "/billing/v1/internal",
            "/billing/v1/internal/charges/x",
            "/metrics",
            "/billing/metrics",
            "/a/b/metrics/x",
        ] {
            assert!(is_private(path), "{path}");
        }
        for path in [
            "/driver/v1/rides",
            "/billing/v1/internals",
            "/billing/health",
            "/v1/internal",
            "/billing/metricsx",
            "/Metrics",
        ] {
            assert!(!is_private(path), "{path}");
        }
    }

    #[test]
    fn health_paths_live_under_the_prefix() {
        let s = by_name("driver_api").unwrap();
        assert_eq!(s.health_path(), "/driver/health");
        assert_eq!(s.ready_path(), "/driver/ready");
        assert_eq!(s.openapi_path(), "/driver/openapi.json");
    }
}
