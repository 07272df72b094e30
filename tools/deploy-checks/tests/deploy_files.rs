//! The files that describe odmu outside Rust (compose, the Dockerfile's build, the database
//! init) agree with the one service table. Change a port or a name in one place: this fails.

use std::path::Path;

use odmu_topology::{GATEWAY_PORT, SERVICES, Service};
use yaml_rust2::{Yaml, YamlLoader};

fn repo_file(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Resolves YAML merge keys (`<<: *anchor`), which compose uses and YAML 1.2 leaves to readers.
fn merged(y: &Yaml) -> Yaml {
    match y {
        Yaml::Hash(h) => {
            let mut out = yaml_rust2::yaml::Hash::new();
            if let Some(base) = h.get(&Yaml::String("<<".into()))
                && let Yaml::Hash(b) = merged(base)
            {
                out.extend(b);
            }
            for (k, v) in h {
                if k.as_str() != Some("<<") {
                    out.insert(k.clone(), merged(v));
                }
            }
            Yaml::Hash(out)
        }
        Yaml::Array(a) => Yaml::Array(a.iter().map(merged).collect()),
        other => other.clone(),
    }
}

fn compose() -> Yaml {
    let docs = YamlLoader::load_from_str(&repo_file("compose.yaml")).unwrap();
    merged(&docs[0])
}

/// Compose service names are the table's names with hyphens (valid DNS names).
fn host(s: &Service) -> String {
    s.name.replace('_', "-")
}

fn strings(y: &Yaml) -> Vec<String> {
    y.as_vec()
        .map(|v| {
            v.iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn compose_services_ports_health_checks_and_databases_agree_with_the_table() {
    let doc = compose();
    let services = &doc["services"];
    for s in &SERVICES {
        let svc = &services[host(s).as_str()];
        assert!(!svc.is_badvalue(), "{} is in compose.yaml", s.name);
        let port = s.port.to_string();
        assert_eq!(svc["build"]["args"]["SERVICE"].as_str(), Some(s.name));
        // The pipeline's build job passes PACKAGES=$SERVICE: compose builds the same image.
        assert_eq!(svc["build"]["args"]["PACKAGES"].as_str(), Some(s.name));
        assert_eq!(
            svc["build"]["args"]["PORT"].as_str(),
            Some(port.as_str()),
            "{}",
            s.name
        );
        assert_eq!(
            svc["build"]["dockerfile"].as_str(),
            Some("docker/Dockerfile")
        );
        assert_eq!(
            svc["environment"]["PORT"].as_str(),
            Some(port.as_str()),
            "{}",
            s.name
        );
        assert_eq!(
            strings(&svc["ports"]),
            vec![format!("{port}:{port}")],
            "{}",
            s.name
        );
        assert_eq!(
            strings(&svc["healthcheck"]["test"]),
            ["CMD", "/usr/local/bin/service", "healthcheck"]
        );
        let url = svc["environment"]["DATABASE_URL"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("postgres://{}:", s.database))
                && url.ends_with(&format!("@postgres:5432/{}", s.database)),
            "{} uses its own database and login: {url}",
            s.name
        );
        // Start order by health: the database and every service it calls come first.
        let deps = svc["depends_on"].as_hash().unwrap();
        assert_eq!(
            deps[&Yaml::String("postgres".into())]["condition"].as_str(),
            Some("service_healthy")
        );
        for callee in s.calls {
            let callee = odmu_topology::by_name(callee).unwrap();
            assert!(
                deps.contains_key(&Yaml::String(host(callee))),
                "{} waits for {}",
                s.name,
                callee.name
            );
        }
        // Every service finds every other at its compose address.
        for other in &SERVICES {
            assert_eq!(
                svc["environment"][other.url_var].as_str(),
                Some(format!("http://{}:{}", host(other), other.port).as_str()),
                "{} -> {}",
                s.name,
                other.url_var
            );
        }
    }
    let known: Vec<String> = SERVICES
        .iter()
        .map(host)
        .chain(["postgres", "jaeger", "gateway"].map(String::from))
        .collect();
    for (name, _) in services.as_hash().unwrap() {
        let name = name.as_str().unwrap();
        assert!(
            known.iter().any(|k| k == name),
            "unexpected compose service {name}"
        );
    }
}

#[test]
fn the_compose_gateway_has_the_load_balancers_routes_to_every_service() {
    let doc = compose();
    let gw = &doc["services"]["gateway"];
    assert_eq!(strings(&gw["command"]), ["gateway"]);
    let port = GATEWAY_PORT.to_string();
    assert_eq!(strings(&gw["ports"]), vec![format!("{port}:{port}")]);
    assert_eq!(
        gw["environment"]["ODMU_GATEWAY_PORT"].as_str(),
        Some(port.as_str())
    );
    for s in &SERVICES {
        assert_eq!(
            gw["environment"][s.url_var].as_str(),
            Some(format!("http://{}:{}", host(s), s.port).as_str())
        );
        assert!(gw["depends_on"][host(s).as_str()].as_hash().is_some());
    }
}

#[test]
fn the_release_build_and_the_database_init_cover_every_service() {
    let build = repo_file("docker/build-release.sh");
    let dockerfile = repo_file("docker/Dockerfile");
    let init = repo_file("docker/postgres/init.sh");
    // The packages build-release.sh builds when given none (compose's images, CI's check).
    let defaults: Vec<&str> = build
        .lines()
        .find_map(|l| l.trim().strip_prefix("set -- "))
        .expect("build-release.sh sets its default packages")
        .split_whitespace()
        .collect();
    for s in &SERVICES {
        let flag = format!("-p {}", s.name);
        assert!(
            defaults.contains(&s.name),
            "build-release.sh builds {}",
            s.name
        );
        assert!(
            dockerfile.contains(&flag),
            "the Dockerfile cooks {}'s dependencies",
            s.name
        );
        assert!(
            init.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| w == s.database),
            "init.sh creates {}",
            s.database
        );
    }
    assert!(dockerfile.contains("./docker/build-release.sh"));
    assert!(dockerfile.contains("EXPOSE ${PORT}"));
}

#[test]
fn compose_stops_jaeger_last_and_checks_postgres_and_the_gateway_as_they_serve() {
    let doc = compose();
    let services = &doc["services"];
    // Compose stops in reverse start order: whatever exports traces depends on Jaeger, or its
    // exporter waits out its timeout on every `down`.
    for name in SERVICES.iter().map(host).chain(["gateway".to_owned()]) {
        assert_eq!(
            services[name.as_str()]["depends_on"]["jaeger"]["condition"].as_str(),
            Some("service_started"),
            "{name} depends on jaeger"
        );
    }
    // The init scripts run on a server listening on the Unix socket only: a check over the
    // socket passes before the databases exist.
    let pg = strings(&services["postgres"]["healthcheck"]["test"]);
    assert!(
        pg.windows(2).any(|w| w[0] == "-h" && w[1] == "127.0.0.1"),
        "postgres is checked over TCP: {pg:?}"
    );
    // The gateway image's HEALTHCHECK (`odmu healthcheck`), not disabled.
    let gw = &services["gateway"]["healthcheck"];
    assert!(gw["disable"].is_badvalue(), "the gateway is health checked");
    assert_eq!(
        strings(&gw["test"]),
        ["CMD", "/usr/local/bin/service", "healthcheck"]
    );
}

#[test]
fn the_dockerfile_builds_offline_with_the_engines_own_frontend() {
    let dockerfile = repo_file("docker/Dockerfile");
    // A `# syntax=` line makes BuildKit pull a frontend image before anything else: a builder
    // without registry access (or a registry outage) fails before the first step.
    assert!(
        !dockerfile
            .lines()
            .any(|l| l.trim_start().to_ascii_lowercase().starts_with("# syntax=")),
        "no syntax directive"
    );
}
