//! Tariffs: published by admins as immutable versions, read by every role.

use serde_json::json;

use crate::{publish, spawn, tariff_body, with};

#[tokio::test]
async fn admins_publish_new_versions_and_earlier_versions_stay_unchanged() {
    let app = spawn().await;
    let v1 = publish(&app, &tariff_body("night")).await;
    assert_eq!(
        (v1.str("code"), v1.body["version"].as_i64()),
        ("night", Some(1))
    );
    assert!(v1.str("created_at").ends_with('Z'));
    assert_eq!(v1.body["per_km_cents"], 110);
    assert_eq!(
        v1.body["surge"][1],
        json!({"min_demand_bps": 15000, "multiplier_bps": 12000})
    );

    let v2 = publish(
        &app,
        &with(tariff_body("night"), &json!({"per_km_cents": 200})),
    )
    .await;
    assert_eq!(v2.body["version"], 2);

    let rider = app.rider();
    let current = app
        .get("/v1/tariffs/night")
        .as_(&rider)
        .send()
        .await
        .expect(200);
    assert_eq!(
        (
            current.body["version"].as_i64(),
            current.body["per_km_cents"].as_i64()
        ),
        (Some(2), Some(200))
    );
    let first = app
        .get("/v1/tariffs/night/versions/1")
        .as_(&rider)
        .send()
        .await
        .expect(200);
    assert_eq!(first.body, v1.body, "a published version never changes");
    let second = app
        .get("/v1/tariffs/night/versions/2")
        .as_(&rider)
        .send()
        .await
        .expect(200);
    assert_eq!(second.body, v2.body);
    for missing in [
        "/v1/tariffs/night/versions/3",
        "/v1/tariffs/night/versions/0",
        "/v1/tariffs/day",
        "/v1/tariffs/Not%20a%20code",
    ] {
        app.get(missing).as_(&rider).send().await.expect(404);
    }
    app.get("/v1/tariffs/night/versions/x")
        .as_(&rider)
        .send()
        .await
        .expect(400);
}

#[tokio::test]
async fn every_role_reads_tariffs_and_only_admins_publish_them() {
    let app = spawn().await;
    for reader in [
        app.rider(),
        app.driver(),
        app.admin(),
        app.service("billing"),
    ] {
        let standard = app
            .get("/v1/tariffs/standard")
            .as_(&reader)
            .send()
            .await
            .expect(200);
        assert_eq!(
            (standard.body["version"].as_i64(), standard.str("currency")),
            (Some(1), "EUR")
        );
        app.get("/v1/tariffs").as_(&reader).send().await.expect(200);
    }
    for writer in [app.rider(), app.driver(), app.service("billing")] {
        app.post("/v1/tariffs")
            .as_(&writer)
            .json(&tariff_body("mine"))
            .send()
            .await
            .expect(403);
    }
    app.post("/v1/tariffs")
        .json(&tariff_body("mine"))
        .send()
        .await
        .expect(401);
    app.get("/v1/tariffs/standard").send().await.expect(401);
    // Nothing was published by the refused calls.
    app.get("/v1/tariffs/mine")
        .as_(&app.rider())
        .send()
        .await
        .expect(404);
}

#[tokio::test]
async fn the_list_holds_the_current_version_of_each_code_a_page_at_a_time() {
    let app = spawn().await;
    for code in ["charlie", "alpha", "bravo"] {
        publish(&app, &tariff_body(code)).await;
    }
    publish(
        &app,
        &with(tariff_body("bravo"), &json!({"base_fare_cents": 300})),
    )
    .await;
    let rider = app.rider();
    let first = app
        .get("/v1/tariffs?limit=2")
        .as_(&rider)
        .send()
        .await
        .expect(200);
    let codes = |page: &serde_json::Value| -> Vec<(String, i64)> {
        page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                (
                    t["code"].as_str().unwrap_or_default().to_owned(),
                    t["version"].as_i64().unwrap_or(0),
                )
            })
            .collect()
    };
    assert_eq!(
        codes(&first.body),
        [("alpha".to_owned(), 1), ("bravo".to_owned(), 2)]
    );
    let cursor = first.str("next_cursor").to_owned();
    let second = app
        .get(&format!("/v1/tariffs?limit=2&cursor={cursor}"))
        .as_(&rider)
        .send()
        .await
        .expect(200);
    assert_eq!(
        codes(&second.body),
        [("charlie".to_owned(), 1), ("standard".to_owned(), 1)]
    );
    assert_eq!(second.body["next_cursor"], serde_json::Value::Null);

    let bad = app
        .get("/v1/tariffs?limit=0")
        .as_(&rider)
        .send()
        .await
        .expect(422);
    assert_eq!(bad.fields(), ["limit"]);
    let bad = app
        .get("/v1/tariffs?cursor=nonsense")
        .as_(&rider)
        .send()
        .await
        .expect(422);
    assert_eq!(bad.fields(), ["cursor"]);
    app.get("/v1/tariffs?limit=many")
        .as_(&rider)
        .send()
        .await
        .expect(400);
}

#[tokio::test]
async fn an_invalid_tariff_is_refused_naming_every_bad_field() {
    let app = spawn().await;
    let admin = app.admin();
    let refuse = |body: serde_json::Value| {
        let call = app.post("/v1/tariffs").as_(&admin).json(&body);
        async move { call.send().await.expect(422).fields() }
    };
    let everything_wrong = with(
        tariff_body("Bad Code"),
        &json!({
            "currency": "XXX",
            "base_fare_cents": -1,
            "per_km_cents": 1_000_001,
            "commission_bps": 10_001,
            "average_speed_kmh": 0,
            "surge": [
                {"min_demand_bps": 20000, "multiplier_bps": 15000},
                {"min_demand_bps": 10000, "multiplier_bps": 30000}
            ],
            "max_multiplier_bps": 25000
        }),
    );
    assert_eq!(
        refuse(everything_wrong).await,
        [
            "code",
            "currency",
            "base_fare_cents",
            "per_km_cents",
            "commission_bps",
            "average_speed_kmh",
            "surge[1].multiplier_bps",
            "surge[1].min_demand_bps",
        ]
    );
    for (change, field) in [
        (json!({"currency": "eur"}), "currency"),
        (json!({"currency": "EURO"}), "currency"),
        (json!({"currency": 978}), "currency"),
        (json!({"minimum_fare_cents": -700}), "minimum_fare_cents"),
        (
            json!({"booking_fee_cents": 10_000_001}),
            "booking_fee_cents",
        ),
        (
            json!({"upfront_tolerance_bps": 10_001}),
            "upfront_tolerance_bps",
        ),
        (
            json!({"max_multiplier_bps": 9_999, "surge": []}),
            "max_multiplier_bps",
        ),
        (
            json!({"surge": [{"min_demand_bps": 0, "multiplier_bps": 9_000}]}),
            "surge[0].multiplier_bps",
        ),
        (
            json!({"surge": [{"min_demand_bps": 0, "multiplier_bps": 10_000, "x": 1}]}),
            "surge[0]",
        ),
        (
            json!({"free_cancellation_s": "soon"}),
            "free_cancellation_s",
        ),
        (json!({"code": ""}), "code"),
    ] {
        let fields = refuse(with(tariff_body("ok"), &change)).await;
        assert!(
            fields.iter().all(|f| f.starts_with(field)) && !fields.is_empty(),
            "{change}: {fields:?}"
        );
    }
    let eleven: Vec<_> = (0..11)
        .map(|i| json!({"min_demand_bps": i * 100, "multiplier_bps": 10000}))
        .collect();
    assert_eq!(
        refuse(with(tariff_body("ok"), &json!({"surge": eleven}))).await,
        ["surge"]
    );

    // Missing and unknown fields are named in the problem too.
    let mut missing = tariff_body("ok");
    missing
        .as_object_mut()
        .map(|o| o.remove("per_minute_cents"));
    let reply = app
        .post("/v1/tariffs")
        .as_(&admin)
        .json(&missing)
        .send()
        .await
        .expect(422);
    assert!(
        reply.body.to_string().contains("per_minute_cents"),
        "{}",
        reply.body
    );
    let extra = with(tariff_body("ok"), &json!({"vat_bps": 2000}));
    let reply = app
        .post("/v1/tariffs")
        .as_(&admin)
        .json(&extra)
        .send()
        .await
        .expect(422);
    assert!(reply.body.to_string().contains("vat_bps"), "{}", reply.body);
    // None of them was published.
    app.get("/v1/tariffs/ok")
        .as_(&admin)
        .send()
        .await
        .expect(404);
}

#[tokio::test]
async fn concurrent_publications_of_one_code_get_distinct_consecutive_versions() {
    let app = spawn().await;
    let admin = app.admin();
    let calls: Vec<_> = (0..8)
        .map(|i| {
            let body = with(tariff_body("rush"), &json!({"base_fare_cents": 100 + i}));
            tokio::spawn(app.post("/v1/tariffs").as_(&admin).json(&body).send())
        })
        .collect();
    let mut versions = Vec::new();
    for call in calls {
        let reply = call.await.expect("the request task finishes").expect(201);
        versions.push(reply.body["version"].as_i64().unwrap_or(0));
    }
    versions.sort_unstable();
    assert_eq!(versions, (1..=8).collect::<Vec<i64>>());
    let current = app
        .get("/v1/tariffs/rush")
        .as_(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(current.body["version"], 8);
}
