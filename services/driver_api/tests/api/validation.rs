//! Bad input is a 4xx problem naming the field: coordinates out of range, missing, or "NaN"
//! as text; actuals out of range; unknown fields.

use serde_json::{Value, json};

use crate::support::{CENTRE, Stack};

#[tokio::test]
async fn bad_coordinates_are_422_naming_the_field() {
    let stack = Stack::start().await;
    let driver = stack.online_driver(CENTRE).await;
    let cases: [(Value, &[&str]); 7] = [
        (json!({"lat": 91, "lon": 0}), &["lat"]),
        (json!({"lat": 0, "lon": -180.5}), &["lon"]),
        (json!({"lat": -90.01, "lon": 181}), &["lat", "lon"]),
        (json!({"lon": 2.35}), &["lat"]),
        (json!({}), &["lat", "lon"]),
        (json!({"lat": "NaN", "lon": 2.35}), &["lat"]),
        (json!({"lat": 48.8, "lon": null}), &["lon"]),
    ];
    for (body, fields) in cases {
        for (path, mut full) in [
            ("/v1/location", body.clone()),
            ("/v1/availability", body.clone()),
        ] {
            if path == "/v1/availability" {
                full["online"] = json!(true);
            }
            let reply = stack
                .api
                .put(path)
                .as_(&driver)
                .json(&full)
                .send()
                .await
                .expect(422);
            assert_eq!(reply.fields(), fields, "{path} {full}");
        }
    }
    // Bare NaN is not JSON at all.
    let reply = stack
        .api
        .put("/v1/location")
        .as_(&driver)
        .header("content-type", "application/json")
        .send()
        .await;
    assert!(matches!(reply.status, 400 | 415 | 422), "{}", reply.status);
    let raw = stack
        .api
        .http
        .put(stack.api.url("/v1/location"))
        .bearer_auth(&driver.token)
        .header("content-type", "application/json")
        .body(r#"{"lat": NaN, "lon": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);

    for query in ["lat=91&lon=0", "lat=NaN&lon=0", "lon=0", "lat=0&lon=inf"] {
        let reply = stack
            .api
            .get(&format!("/v1/internal/supply?{query}"))
            .as_(&stack.client_app)
            .send()
            .await
            .expect(422);
        let named = reply.fields();
        assert!(named == ["lat"] || named == ["lon"], "{query}: {named:?}");
    }
    stack
        .api
        .get("/v1/internal/supply?lat=north&lon=0")
        .as_(&stack.client_app)
        .send()
        .await
        .expect(400);
}

#[tokio::test]
async fn actuals_and_bodies_are_checked_naming_the_field() {
    let stack = Stack::start().await;
    let driver = stack.online_driver(CENTRE).await;
    let id = crate::support::new_id();
    for (body, field) in [
        (json!({"distance_m": -1, "duration_s": 10}), "distance_m"),
        (
            json!({"distance_m": 1_000_001, "duration_s": 10}),
            "distance_m",
        ),
        (
            json!({"distance_m": 10, "duration_s": 172_801}),
            "duration_s",
        ),
        (json!({"distance_m": 10.5, "duration_s": 1}), "distance_m"),
        (json!({"distance_m": "10", "duration_s": 1}), "distance_m"),
    ] {
        let reply = stack.act(&driver, &id, "complete", &body).await.expect(422);
        assert_eq!(reply.fields(), [field], "{body}");
    }
    let unknown = stack
        .act(
            &driver,
            &id,
            "complete",
            &json!({"distance_m": 10, "duration_s": 1, "tip": 5}),
        )
        .await
        .expect(422);
    assert!(
        unknown.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("tip")
    );
    // An integral number written as 10.0 is an integer.
    stack
        .act(
            &driver,
            &id,
            "complete",
            &json!({"distance_m": 10.0, "duration_s": 1}),
        )
        .await
        .expect(404);
    for code in ["123", "12345", "abcd", ""] {
        let reply = stack
            .act(&driver, &id, "start", &json!({"start_code": code}))
            .await
            .expect(422);
        assert_eq!(reply.fields(), ["start_code"]);
    }
    let reply = stack
        .api
        .post(&format!("/v1/internal/rides/{id}/cancel"))
        .as_(&stack.client_app)
        .json(&json!({"by": "driver"}))
        .send()
        .await
        .expect(422);
    assert_eq!(reply.fields(), ["by"]);
}
