//! `odmu gateway`: the gateway alone, as compose runs it, in front of services found through
//! their URL variables.

use std::time::Duration;

use odmu_testkit::TestApp;
use serde_json::Value;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_standalone_gateway_routes_to_the_urls_in_the_service_variables() {
    let billing = TestApp::spawn::<billing::Billing>().await;
    let port = free_port();
    let mut gateway = tokio::process::Command::new(env!("CARGO_BIN_EXE_odmu"))
        .arg("gateway")
        .env("ODMU_GATEWAY_PORT", port.to_string())
        .env("BILLING_URL", &billing.base_url)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/billing/health");
    let mut answered = None;
    for _ in 0..200 {
        if let Ok(res) = http.get(&url).send().await {
            answered = Some(res);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let res = answered.expect("the gateway listens");
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
    // A service that is not running: the gateway says so, as the ALB would (502).
    let res = http
        .get(format!("http://127.0.0.1:{port}/contract/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = http
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(gateway.id().unwrap() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), gateway.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn the_standalone_gateway_refuses_a_bad_service_url_naming_the_variable() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_odmu"))
        .arg("gateway")
        .env("ODMU_GATEWAY_PORT", free_port().to_string())
        .env("AUTH_URL", "https://auth.internal")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AUTH_URL"));
}
