//! The driver's profile, with tokens from a real odmu_auth over HTTP.

use odmu_testkit::TestApp;
use serde_json::{Value, json};

async fn token_for(auth: &TestApp, email: &str, role: &str) -> String {
    let res = auth
        .http
        .post(auth.url("/auth/v1/users"))
        .json(&json!({"email": email, "password": "a-long-password", "role": role}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let tokens: Value = auth
        .http
        .post(auth.url("/auth/v1/token"))
        .form(&[
            ("grant_type", "password"),
            ("email", email),
            ("password", "a-long-password"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_driver_reads_and_writes_their_profile_with_a_token_from_odmu_auth() {
    let auth = TestApp::spawn::<odmu_auth::OdmuAuth>().await;
    let app =
        TestApp::spawn_with::<driver_api::DriverApi>(&[("AUTH_URL", &auth.base_url)], None).await;
    let driver = token_for(&auth, "dan@example.com", "driver").await;
    let rider = token_for(&auth, "rita@example.com", "rider").await;
    let url = app.url("/driver/v1/profile");

    assert_eq!(app.http.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(
        app.http
            .get(&url)
            .bearer_auth(&rider)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let res = app
        .http
        .get(&url)
        .bearer_auth(&driver)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "accepted, but no profile yet");

    let res = app
        .http
        .put(&url)
        .bearer_auth(&driver)
        .json(&json!({"name": "", "vehicle_plate": "AB-123-CD", "vehicle_class": "x".repeat(40)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "vehicle_class"]);

    for name in ["Dan", "Daniel"] {
        let res = app
            .http
            .put(&url)
            .bearer_auth(&driver)
            .json(&json!({"name": name, "vehicle_plate": "AB-123-CD", "vehicle_class": "standard"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let profile: Value = app
        .http
        .get(&url)
        .bearer_auth(&driver)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["name"], "Daniel");
    assert_eq!(profile["online"], false);
    assert!(profile["updated_at"].as_str().unwrap().ends_with('Z'));
}
