//! The resilience suite as CI runs it: `odmu resilience` on fresh stacks of this build (SQLite,
//! or PostgreSQL with `TEST_DATABASE_URL`, where a restart of the database is added): two
//! rolling restarts, billing stopped for 30 s, `kill -9` of driver_api and billing, each under
//! flow load with the data checked afterwards. Bounded: a few minutes in all.

mod common;

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn the_platform_loses_nothing_to_restarts_outages_and_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("resilience.json");
    let offset = common::free_offset(30000);
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_odmu"));
    command
        .env("ODMU_PORT_OFFSET", offset.to_string())
        .env(
            "ODMU_GATEWAY_PORT",
            (odmu_topology::GATEWAY_PORT + offset).to_string(),
        )
        .env("RUST_LOG", "warn")
        .env_remove("LOG_FORMAT")
        .env_remove("ODMU_POSTGRES_URL")
        .arg("resilience")
        .arg("--report")
        .arg(&report)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let postgres = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    if let Some(url) = &postgres {
        command.env("ODMU_POSTGRES_URL", url);
    }
    let run = command.spawn().unwrap().wait_with_output();
    let output = tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("the suite ends within 10 minutes")
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    // The summary table, for CI's log.
    eprintln!("{log}");
    assert!(output.status.success(), "the suite failed:\n{log}");

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["passed"], true);
    let names: Vec<&str> = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scenario"].as_str().unwrap())
        .collect();
    let mut expected = vec!["rolling-restart", "billing-outage", "crashes"];
    if postgres.is_some() {
        expected.push("postgres-restart");
    }
    assert_eq!(names, expected);
    for scenario in report["scenarios"].as_array().unwrap() {
        let load = &scenario["load"];
        assert!(load["flows_completed"].as_u64().unwrap() > 0, "{scenario}");
        assert_eq!(load["verification"]["ok"], true, "{scenario}");
        assert_eq!(load["verification"]["lost_count"], 0, "{scenario}");
        assert_eq!(load["verification"]["duplicated_count"], 0, "{scenario}");
        assert_eq!(load["verification"]["ledger_balanced"], true, "{scenario}");
        assert_eq!(load["verification"]["outbox_pending"], 0, "{scenario}");
        assert_eq!(scenario["after"]["flows_failed"], 0, "{scenario}");
    }
    let by_name = |n: &str| {
        report["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["scenario"] == n)
            .unwrap()
            .clone()
    };
    for strict in ["rolling-restart", "billing-outage"] {
        let s = by_name(strict);
        assert_eq!(s["load"]["requests_failed"], 0, "{s}");
        assert_eq!(s["load"]["flows_failed"], 0, "{s}");
    }
    let outage = by_name("billing-outage");
    assert!(
        outage["figures"]["outbox_pending_at_return"]
            .as_i64()
            .unwrap()
            > 0
    );
    assert!(
        outage["figures"]["outbox_drained_after_return_ms"]
            .as_u64()
            .unwrap()
            < 20_000
    );
    if postgres.is_some() {
        let pg = by_name("postgres-restart");
        assert_eq!(pg["figures"]["service_restarts"], 0, "{pg}");
        assert!(pg["figures"]["ready_503_after_ms"].is_u64(), "{pg}");
    }
}
