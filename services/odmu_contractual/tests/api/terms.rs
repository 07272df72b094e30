//! Drivers' terms and their agreements to them.

use serde_json::{Value, json};

use crate::spawn;

#[tokio::test]
async fn terms_v1_exist_from_the_start_and_admins_publish_only_the_next_version() {
    let app = spawn().await;
    for reader in [
        app.rider(),
        app.driver(),
        app.admin(),
        app.service("driver_api"),
    ] {
        let current = app
            .get("/v1/terms/current")
            .as_(&reader)
            .send()
            .await
            .expect(200);
        assert_eq!(current.body["version"], 1);
        assert!(!current.str("title").is_empty() && !current.str("body").is_empty());
        assert!(current.str("published_at").ends_with('Z'));
    }
    app.get("/v1/terms/current").send().await.expect(401);

    let admin = app.admin();
    let terms =
        |version: i64| json!({"version": version, "title": "Terms", "body": "Drive safely."});
    for wrong in [1, 3] {
        let reply = app
            .post("/v1/terms")
            .as_(&admin)
            .json(&terms(wrong))
            .send()
            .await
            .expect(409);
        assert_eq!(reply.body["expected_version"], 2, "{}", reply.body);
        assert!(reply.str("detail").contains('2'));
    }
    for other in [app.rider(), app.driver(), app.service("billing")] {
        app.post("/v1/terms")
            .as_(&other)
            .json(&terms(2))
            .send()
            .await
            .expect(403);
    }
    let v2 = app
        .post("/v1/terms")
        .as_(&admin)
        .json(&terms(2))
        .send()
        .await
        .expect(201);
    assert_eq!(
        (v2.body["version"].as_i64(), v2.str("title")),
        (Some(2), "Terms")
    );
    let current = app
        .get("/v1/terms/current")
        .as_(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(current.body, v2.body);
    // Publishing the same version twice: the second is a conflict.
    app.post("/v1/terms")
        .as_(&admin)
        .json(&terms(2))
        .send()
        .await
        .expect(409);

    for (body, field) in [
        (json!({"version": 3, "title": " \t", "body": "x"}), "title"),
        (
            json!({"version": 3, "title": "x".repeat(201), "body": "x"}),
            "title",
        ),
        (json!({"version": 3, "title": "x", "body": ""}), "body"),
        (json!({"version": 0, "title": "x", "body": "x"}), "version"),
        (
            json!({"version": "3", "title": "x", "body": "x"}),
            "version",
        ),
    ] {
        let reply = app
            .post("/v1/terms")
            .as_(&admin)
            .json(&body)
            .send()
            .await
            .expect(422);
        assert_eq!(reply.fields(), [field], "{body}");
    }
}

fn standing(body: &Value) -> (Option<i64>, Option<bool>) {
    (body["terms_version"].as_i64(), body["current"].as_bool())
}

#[tokio::test]
async fn drivers_agree_to_the_current_terms_and_new_terms_make_agreements_not_current() {
    let app = spawn().await;
    let driver = app.driver();
    let service = app.service("driver_api");
    let internal = format!("/v1/internal/agreements/{}", driver.id);

    app.get("/v1/agreements/me")
        .as_(&driver)
        .send()
        .await
        .expect(404);
    let none = app.get(&internal).as_(&service).send().await.expect(200);
    assert_eq!(
        none.body,
        json!({"driver_id": driver.id, "terms_version": null, "current": false})
    );

    let first = app
        .post("/v1/agreements")
        .as_(&driver)
        .json(&json!({"terms_version": 1}))
        .send()
        .await
        .expect(201);
    assert_eq!(standing(&first.body), (Some(1), Some(true)));
    assert_eq!(first.body["driver_id"], driver.id.as_str());
    let again = app
        .post("/v1/agreements")
        .as_(&driver)
        .json(&json!({"terms_version": 1}))
        .send()
        .await
        .expect(200);
    assert_eq!(again.body, first.body, "the same agreement, not a new one");
    let future = app
        .post("/v1/agreements")
        .as_(&driver)
        .json(&json!({"terms_version": 2}))
        .send()
        .await
        .expect(409);
    assert_eq!(future.body["current_version"], 1);
    let me = app
        .get("/v1/agreements/me")
        .as_(&driver)
        .send()
        .await
        .expect(200);
    assert_eq!(me.body, first.body);
    assert_eq!(
        standing(
            &app.get(&internal)
                .as_(&service)
                .send()
                .await
                .expect(200)
                .body
        ),
        (Some(1), Some(true))
    );

    let v2 = json!({"version": 2, "title": "Terms v2", "body": "New rules."});
    app.post("/v1/terms")
        .as_(&app.admin())
        .json(&v2)
        .send()
        .await
        .expect(201);
    let me = app
        .get("/v1/agreements/me")
        .as_(&driver)
        .send()
        .await
        .expect(200);
    assert_eq!(standing(&me.body), (Some(1), Some(false)));
    assert_eq!(
        standing(
            &app.get(&internal)
                .as_(&service)
                .send()
                .await
                .expect(200)
                .body
        ),
        (Some(1), Some(false))
    );
    app.post("/v1/agreements")
        .as_(&driver)
        .json(&json!({"terms_version": 1}))
        .send()
        .await
        .expect(409);
    app.post("/v1/agreements")
        .as_(&driver)
        .json(&json!({"terms_version": 2}))
        .send()
        .await
        .expect(201);
    assert_eq!(
        standing(
            &app.get(&internal)
                .as_(&service)
                .send()
                .await
                .expect(200)
                .body
        ),
        (Some(2), Some(true))
    );

    // Another driver's standing is their own.
    let other = app.get("/v1/agreements/me").as_(&app.driver()).send().await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn agreements_are_for_drivers_and_standings_for_services_only() {
    let app = spawn().await;
    let body = json!({"terms_version": 1});
    for other in [app.rider(), app.admin(), app.service("billing")] {
        app.post("/v1/agreements")
            .as_(&other)
            .json(&body)
            .send()
            .await
            .expect(403);
        app.get("/v1/agreements/me")
            .as_(&other)
            .send()
            .await
            .expect(403);
    }
    for other in [app.rider(), app.driver(), app.admin()] {
        app.get("/v1/internal/agreements/someone")
            .as_(&other)
            .send()
            .await
            .expect(403);
    }
    let driver = app.driver();
    for (body, field) in [
        (json!({"terms_version": 0}), "terms_version"),
        (json!({"terms_version": "1"}), "terms_version"),
    ] {
        let reply = app
            .post("/v1/agreements")
            .as_(&driver)
            .json(&body)
            .send()
            .await
            .expect(422);
        assert_eq!(reply.fields(), [field]);
    }
    let reply = app
        .post("/v1/agreements")
        .as_(&driver)
        .json(&json!({}))
        .send()
        .await
        .expect(422);
    assert!(
        reply.body.to_string().contains("terms_version"),
        "{}",
        reply.body
    );
}
