//! Every bad input is a 4xx problem naming the field; amounts are bounded (and never
//! wrapped), with the same bounds in the OpenAPI document.

use odmu_testkit::{Caller, Reply};
use serde_json::{Value, json};

use crate::support::{Stack, charge_body, new_id};

const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// Posts a raw body (numbers JSON can hold but i64 cannot).
async fn post_raw(
    stack: &Stack,
    path: &str,
    caller: &Caller,
    key: Option<&str>,
    raw: &str,
) -> Reply {
    let mut request = stack
        .billing
        .http
        .post(stack.billing.url(path))
        .bearer_auth(&caller.token)
        .header("content-type", "application/json")
        .body(raw.to_owned());
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn bad_charges_are_422_naming_each_field_and_write_nothing() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let quote = stack.quote(&rider, 4000).await;
    let good = charge_body(
        &new_id(),
        "ride",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );
    let with = |changes: Value| {
        let mut body = good.clone();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (
            with(json!({"ride_id": "ride-1", "rider_id": "x", "quote_id": ""})),
            vec!["ride_id", "rider_id", "quote_id"],
        ),
        (
            with(json!({"driver_id": "67e55044-10b1-426f-9247"})),
            vec!["driver_id"],
        ),
        (with(json!({"kind": "walk"})), vec!["kind"]),
        (with(json!({"distance_m": -1})), vec!["distance_m"]),
        (
            with(json!({"distance_m": 1_000_001, "duration_s": 172_801})),
            vec!["distance_m", "duration_s"],
        ),
        (with(json!({"duration_s": "long"})), vec!["duration_s"]),
        (with(json!({"tip_cents": 5})), vec!["tip_cents"]),
    ];
    for (body, fields) in cases {
        let reply = stack.charge(&body).await.expect(422);
        assert_eq!(reply.fields(), fields, "{body}");
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("quote_id");
    assert_eq!(stack.charge(&missing).await.expect(422).fields().len(), 1);
    let huge = good.to_string().replace(
        "\"kind\"",
        "\"distance_m\":99999999999999999999999,\"kind\"",
    );
    let reply = post_raw(&stack, "/v1/internal/charges", &stack.rides, None, &huge)
        .await
        .expect(422);
    assert_eq!(reply.fields(), ["distance_m"]);
    assert!(stack.journal().await.is_empty());
}

#[tokio::test]
async fn bad_payments_and_payouts_are_422_naming_the_field_and_amounts_never_wrap() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let invoice = stack.ride(&rider, &driver, 4000).await;
    let path = format!("/v1/invoices/{}/payments", invoice["id"].as_str().unwrap());
    let good =
        json!({"amount_cents": invoice["amount_cents"], "method": "cash", "reference": "till-7"});
    let cases = [
        (json!({"amount_cents": 0}), "amount_cents"),
        (json!({"amount_cents": -5}), "amount_cents"),
        (json!({"amount_cents": MAX_AMOUNT + 1}), "amount_cents"),
        (json!({"amount_cents": i64::MAX}), "amount_cents"),
        (json!({"amount_cents": 12.5}), "amount_cents"),
        (json!({"reference": ""}), "reference"),
        (json!({"reference": "r".repeat(129)}), "reference"),
        (json!({"method": "cheque"}), "method"),
    ];
    for (i, (change, field)) in cases.into_iter().enumerate() {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = stack
            .billing
            .post(&path)
            .as_(&rider)
            .idempotency_key(&format!("bad-{i}"))
            .json(&body)
            .send()
            .await
            .expect(422);
        assert_eq!(reply.fields(), [field], "{body}");
    }
    let overflow = r#"{"amount_cents": 18446744073709551617, "method": "card", "reference": "r"}"#;
    let reply = post_raw(&stack, &path, &rider, Some("overflow"), overflow)
        .await
        .expect(422);
    assert_eq!(reply.fields(), ["amount_cents"]);
    // 128 characters of any script are fine.
    let mut body = good.clone();
    body["reference"] = json!("é".repeat(128));
    stack
        .billing
        .post(&path)
        .as_(&rider)
        .idempotency_key("ok")
        .json(&body)
        .send()
        .await
        .expect(201);

    let payouts = [
        (
            json!({"driver_id": "bob", "amount_cents": 1}),
            vec!["driver_id"],
        ),
        (
            json!({"driver_id": driver.id, "amount_cents": 0}),
            vec!["amount_cents"],
        ),
        (
            json!({"driver_id": driver.id, "amount_cents": MAX_AMOUNT + 1}),
            vec!["amount_cents"],
        ),
        (
            json!({"driver_id": driver.id, "amount_cents": 1, "currency": "eur"}),
            vec!["currency"],
        ),
        (
            json!({"driver_id": "x", "amount_cents": -1, "currency": "EURO"}),
            vec!["driver_id", "amount_cents", "currency"],
        ),
    ];
    for (i, (body, fields)) in payouts.into_iter().enumerate() {
        let reply = stack
            .billing
            .post("/v1/payouts")
            .as_(&stack.admin)
            .idempotency_key(&format!("po-{i}"))
            .json(&body)
            .send()
            .await
            .expect(422);
        assert_eq!(reply.fields(), fields, "{body}");
    }
    let overflow = format!(
        r#"{{"driver_id": "{}", "amount_cents": 9223372036854775808}}"#,
        driver.id
    );
    let reply = post_raw(
        &stack,
        "/v1/payouts",
        &stack.admin,
        Some("po-big"),
        &overflow,
    )
    .await
    .expect(422);
    assert_eq!(reply.fields(), ["amount_cents"]);
    stack.assert_caches_match_entries().await;
}

#[tokio::test]
async fn bad_list_parameters_are_4xx_naming_the_parameter() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    for (path, caller, status, field) in [
        ("/v1/invoices?limit=0", &rider, 422, Some("limit")),
        ("/v1/invoices?limit=201", &stack.admin, 422, Some("limit")),
        ("/v1/invoices?cursor=nonsense", &rider, 422, Some("cursor")),
        ("/v1/invoices?status=refunded", &rider, 400, None),
        ("/v1/invoices?colour=red", &rider, 400, None),
        ("/v1/earnings?currency=eu", &driver, 422, Some("currency")),
        ("/v1/earnings?currency=EURO", &driver, 422, Some("currency")),
        ("/v1/earnings?limit=-1", &driver, 422, Some("limit")),
        (
            "/v1/ledger/transactions?limit=500",
            &stack.admin,
            422,
            Some("limit"),
        ),
    ] {
        let reply = stack
            .billing
            .get(path)
            .as_(caller)
            .send()
            .await
            .expect(status);
        if let Some(field) = field {
            assert_eq!(reply.fields(), [field], "{path}");
        }
    }
}

#[tokio::test]
async fn the_document_states_the_bounds_and_every_status_of_each_route() {
    let stack = Stack::start().await;
    let doc = stack
        .billing
        .http
        .get(stack.billing.raw_url("/billing/openapi.json"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let schemas = &doc["components"]["schemas"];
    for (schema, field, min, max) in [
        ("PaymentInput", "amount_cents", 1, MAX_AMOUNT),
        ("PayoutInput", "amount_cents", 1, MAX_AMOUNT),
        ("ChargeInput", "distance_m", 0, 1_000_000),
        ("ChargeInput", "duration_s", 0, 172_800),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert_eq!(
            property["minimum"].as_i64(),
            Some(min),
            "{schema}.{field}: {property}"
        );
        assert_eq!(
            property["maximum"].as_i64(),
            Some(max),
            "{schema}.{field}: {property}"
        );
    }
    assert_eq!(
        schemas["PaymentInput"]["properties"]["reference"]["maxLength"],
        128
    );
    assert_eq!(
        schemas["InvoiceStatus"]["enum"],
        json!(["open", "paid", "void"])
    );
    assert_eq!(
        schemas["ChargeKind"]["enum"],
        json!(["ride", "cancellation"])
    );

    let paths = &doc["paths"];
    let operations = [
        (
            "/billing/v1/internal/charges",
            "post",
            vec!["200", "201", "401", "403", "422", "503"],
        ),
        (
            "/billing/v1/invoices",
            "get",
            vec!["200", "400", "401", "403", "422"],
        ),
        (
            "/billing/v1/invoices/{id}",
            "get",
            vec!["200", "401", "403", "404"],
        ),
        (
            "/billing/v1/invoices/{id}/void",
            "post",
            vec!["200", "401", "403", "404", "409"],
        ),
        (
            "/billing/v1/invoices/{id}/payments",
            "post",
            vec![
                "201", "400", "401", "403", "404", "409", "413", "415", "422",
            ],
        ),
        (
            "/billing/v1/earnings",
            "get",
            vec!["200", "400", "401", "403", "422"],
        ),
        (
            "/billing/v1/payouts",
            "post",
            vec!["201", "400", "401", "403", "409", "422"],
        ),
        (
            "/billing/v1/ledger/summary",
            "get",
            vec!["200", "401", "403"],
        ),
        (
            "/billing/v1/ledger/transactions",
            "get",
            vec!["200", "400", "401", "403", "422"],
        ),
    ];
    for (path, method, statuses) in operations {
        let operation = &paths[path][method];
        let responses = operation["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} documented"));
        for status in statuses {
            assert!(
                responses.contains_key(status),
                "{method} {path} documents {status}"
            );
        }
    }
    for path in ["/billing/v1/invoices/{id}/payments", "/billing/v1/payouts"] {
        let params = paths[path]["post"]["parameters"].as_array().unwrap();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
            "{path} documents its Idempotency-Key"
        );
    }
}
