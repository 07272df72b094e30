//! Start-up: the defaults a fresh platform quotes with, created exactly once however many
//! tasks start together, and configuration errors that name the variable.

use odmu_contractual::Contractual;
use odmu_storage::{TestDatabase, sqlx};
use odmu_testkit::{TestApp, TestIdentity};

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.db().pool())
        .await
        .expect("a count")
}

#[tokio::test]
async fn tasks_starting_at_once_on_one_database_create_the_defaults_exactly_once() {
    let database = TestDatabase::new().await;
    let identity = TestIdentity::start().await;
    let vars = [("DATABASE_URL", database.url())];
    let (a, b, c) = tokio::join!(
        TestApp::spawn_with::<Contractual>(&identity, &vars, None),
        TestApp::spawn_with::<Contractual>(&identity, &vars, None),
        TestApp::spawn_with::<Contractual>(&identity, &vars, None),
    );
    let tariffs = "SELECT CAST(COUNT(*) AS BIGINT) FROM tariffs WHERE code = 'standard'";
    let terms = "SELECT CAST(COUNT(*) AS BIGINT) FROM terms";
    assert_eq!((count(&a, tariffs).await, count(&a, terms).await), (1, 1));
    for app in [&a, &b, &c] {
        let standard = app
            .get("/v1/tariffs/standard")
            .as_(&app.rider())
            .send()
            .await
            .expect(200);
        assert_eq!(standard.body["version"], 1);
    }
    // A later start changes nothing either.
    let a = a.restart::<Contractual>().await;
    assert_eq!((count(&a, tariffs).await, count(&a, terms).await), (1, 1));
}

#[tokio::test]
async fn a_bad_quote_lifetime_stops_start_up_naming_the_variable() {
    for bad in ["0", "five", "86401"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_odmu_contractual"))
            .env_clear()
            .env("CONTRACT_QUOTE_TTL_S", bad)
            .output()
            .expect("the binary runs");
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("CONTRACT_QUOTE_TTL_S"), "{bad}: {stderr}");
    }
}
