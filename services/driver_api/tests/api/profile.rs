//! The driver's profile, with tokens from the test identity.

use odmu_testkit::TestApp;
use serde_json::json;

#[tokio::test]
async fn a_driver_reads_and_writes_their_profile_and_other_roles_are_refused() {
    let app = TestApp::spawn::<driver_api::DriverApi>().await;
    let driver = app.driver();

    app.get("/v1/profile").send().await.expect(401);
    app.get("/v1/profile")
        .as_(&app.rider())
        .send()
        .await
        .expect(403);
    app.get("/v1/profile").as_(&driver).send().await.expect(404);

    let bad = app
        .put("/v1/profile")
        .as_(&driver)
        .json(&json!({"name": " ", "vehicle_plate": "AB-123-CD", "vehicle_class": "x".repeat(40)}))
        .send()
        .await
        .expect(422);
    assert_eq!(bad.fields(), ["name", "vehicle_class"]);

    for name in ["Dan", "Daniel"] {
        app.put("/v1/profile")
            .as_(&driver)
            .json(&json!({"name": name, "vehicle_plate": "AB-123-CD", "vehicle_class": "standard"}))
            .send()
            .await
            .expect(200);
    }
    let profile = app.get("/v1/profile").as_(&driver).send().await.expect(200);
    assert_eq!(profile.body["name"], "Daniel");
    assert_eq!(profile.body["driver_id"], driver.id.as_str());
    assert_eq!(profile.body["online"], false);
    assert!(profile.str("updated_at").ends_with('Z'));
    // Another driver has none.
    app.get("/v1/profile")
        .as_(&app.driver())
        .send()
        .await
        .expect(404);
}
