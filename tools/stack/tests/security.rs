//! The attacker's review, replayed against the real local stack (five service processes, the
//! gateway with the load balancer's routes): each numbered finding is attempted as it was found
//! and must stay refused. The fixes have their own tests beside their code; this suite is the
//! attacker's point of view, and it fails if any finding comes back.

mod common;

use std::time::Duration;

use common::{Gateway, LocalStack};
use odmu_authn::Role;
use odmu_testkit::Caller;
use odmu_testkit::accounts::{log_in, service_token, sign_up_and_log_in};
use serde_json::{Value, json};

/// Paris, Place de la Concorde (pickups) and Bastille, 3.8 km east (drop-offs).
const PICKUP: (f64, f64) = (48.8656, 2.3212);
const DROPOFF: (f64, f64) = (48.8532, 2.3692);

fn point(p: (f64, f64)) -> Value {
    json!({"lat": p.0, "lon": p.1})
}

async fn person(gw: &Gateway, email: &str, role: Role) -> Caller {
    sign_up_and_log_in(&gw.http, &gw.base, email, role).await
}

/// A driver with a profile, the current terms agreed, online at `at`.
async fn online_driver(gw: &Gateway, email: &str, at: (f64, f64)) -> Caller {
    let driver = person(gw, email, Role::Driver).await;
    let profile = json!({"name": "Dan", "vehicle_plate": "AB-123-CD", "vehicle_class": "standard"});
    assert_eq!(gw.put("/driver/v1/profile", &driver, profile).await.0, 200);
    let (_, terms) = gw.get("/contract/v1/terms/current", &driver).await;
    let agree = json!({"terms_version": terms["version"]});
    let (status, _) = gw
        .post("/contract/v1/agreements", &driver, Some(agree))
        .await;
    assert_eq!(status, 201);
    let online = json!({"online": true, "lat": at.0, "lon": at.1});
    assert_eq!(
        gw.put("/driver/v1/availability", &driver, online).await.0,
        200
    );
    driver
}

async fn quote(gw: &Gateway, rider: &Caller) -> Value {
    let body = json!({"pickup": point(PICKUP), "dropoff": point(DROPOFF)});
    let (status, quote) = gw.post("/client/v1/quotes", rider, Some(body)).await;
    assert_eq!(status, 201, "{quote}");
    quote
}

async fn book(gw: &Gateway, rider: &Caller, quote_id: &Value) -> (u16, Value) {
    let key = uuid::Uuid::new_v4().to_string();
    gw.call(
        reqwest::Method::POST,
        "/client/v1/trips",
        rider,
        Some(json!({"quote_id": quote_id})),
        Some(&key),
    )
    .await
}

fn admin(stack: &LocalStack, gw: &Gateway) -> impl std::future::Future<Output = Caller> {
    let password = stack.secret("ADMIN_PASSWORD");
    let (http, base) = (gw.http.clone(), gw.base.clone());
    async move {
        Caller {
            id: String::new(),
            role: Role::Admin,
            token: log_in(&http, &base, "admin@odmu.local", &password).await,
        }
    }
}

/// Findings 1 to 4 and the accept distance of 10: the ride economics.
#[tokio::test]
async fn the_ride_economics_cannot_be_gamed() {
    let stack = LocalStack::start(23000).await;
    let gw = stack.gateway();
    let driver = online_driver(&gw, "driver@sec.test", PICKUP).await;
    let rider = person(&gw, "rider@sec.test", Role::Rider).await;

    // 2. A rider's own quote at contractual (a 40 km trip at 1 m) is an estimate: not bookable.
    let cheat = json!({"distance_m": 1, "pickup": point(PICKUP),
                       "dropoff": {"lat": PICKUP.0 + 0.36, "lon": PICKUP.1}});
    let (status, estimate) = gw.post("/contract/v1/quotes", &rider, Some(cheat)).await;
    assert_eq!(status, 201, "{estimate}");
    assert_eq!(estimate["bookable"], false);
    let (status, refused) = book(&gw, &rider, &estimate["id"]).await;
    assert_eq!(status, 422, "finding 2 is back: {refused}");
    assert_eq!(refused["errors"][0]["field"], "quote_id");

    // 3. Surge pumping: one open trip per rider, so a neighbour's price does not move.
    let neighbour = person(&gw, "neighbour@sec.test", Role::Rider).await;
    let before = quote(&gw, &neighbour).await;
    let q = quote(&gw, &rider).await;
    let (status, trip) = book(&gw, &rider, &q["id"]).await;
    assert_eq!(status, 201, "{trip}");
    for _ in 0..2 {
        let q = quote(&gw, &rider).await;
        let (status, refused) = book(&gw, &rider, &q["id"]).await;
        assert_eq!(status, 409, "finding 3 is back: {refused}");
        assert_eq!(refused["reason"], "rider_has_open_ride");
        assert_eq!(refused["trip_id"], trip["id"]);
    }
    let after = quote(&gw, &neighbour).await;
    assert_eq!(
        after["surge_multiplier_bps"], before["surge_multiplier_bps"],
        "finding 3 is back: one rider moved a neighbour's price"
    );

    // 10. A driver 390 km away cannot accept by id.
    let far = online_driver(&gw, "far@sec.test", (PICKUP.0 - 3.5, PICKUP.1)).await;
    let id = trip["id"].as_str().unwrap().to_owned();
    let (status, refused) = gw
        .post(&format!("/driver/v1/rides/{id}/accept"), &far, None)
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["reason"], "too_far");

    // 4. 300 wrong start codes at once: at most 5 are compared.
    let (status, _) = gw
        .post(&format!("/driver/v1/rides/{id}/accept"), &driver, None)
        .await;
    assert_eq!(status, 200);
    let code = trip["start_code"].as_str().unwrap();
    let wrong = if code == "0000" { "0001" } else { "0000" };
    let gw = std::sync::Arc::new(gw);
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..300 {
        let (gw, driver, id) = (gw.clone(), driver.clone(), id.clone());
        racers.spawn(async move {
            let body = json!({"start_code": wrong});
            gw.post(&format!("/driver/v1/rides/{id}/start"), &driver, Some(body))
                .await
                .0
        });
    }
    let mut compared = 0;
    while let Some(status) = racers.join_next().await {
        match status.unwrap() {
            422 => compared += 1,
            429 => {}
            other => panic!("a wrong code answered {other}"),
        }
    }
    assert!(
        compared <= 5,
        "finding 4 is back: {compared} codes compared"
    );

    // 1. Completed 1 s after its start with 1 000 000 m and 48 h: the rider pays at most the
    // quote, and the ride is listed for review. (Another pair: the first ride's code is locked.)
    let second = online_driver(&gw, "driver2@sec.test", PICKUP).await;
    let payer = person(&gw, "payer@sec.test", Role::Rider).await;
    let q = quote(&gw, &payer).await;
    let (status, trip) = book(&gw, &payer, &q["id"]).await;
    assert_eq!(status, 201, "{trip}");
    let id = trip["id"].as_str().unwrap().to_owned();
    let (status, _) = gw
        .post(&format!("/driver/v1/rides/{id}/accept"), &second, None)
        .await;
    assert_eq!(status, 200);
    let code = json!({"start_code": trip["start_code"]});
    let (status, body) = gw
        .post(&format!("/driver/v1/rides/{id}/start"), &second, Some(code))
        .await;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let lie = json!({"distance_m": 1_000_000, "duration_s": 172_800});
    let (status, body) = gw
        .post(
            &format!("/driver/v1/rides/{id}/complete"),
            &second,
            Some(lie),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let billed = loop {
        let (_, trip) = gw.get(&format!("/client/v1/trips/{id}"), &payer).await;
        if trip["invoice_id"].is_string() {
            break trip;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let paid = billed["final_amount_cents"].as_i64().unwrap();
    assert!(
        paid <= q["amount_cents"].as_i64().unwrap(),
        "finding 1 is back: a {} quote invoiced at {paid}",
        q["amount_cents"]
    );
    let admin = admin(&stack, &gw).await;
    let (status, reviews) = gw.get("/billing/v1/invoices?review=true", &admin).await;
    assert_eq!(status, 200);
    let listed = reviews["items"].as_array().unwrap();
    assert!(
        listed.iter().any(|i| i["id"] == billed["invoice_id"]),
        "{reviews}"
    );

    // 3, again: free cancellations are limited (3 an hour), then booking waits.
    for n in 0..3 {
        let q = quote(&gw, &neighbour).await;
        let (status, trip) = book(&gw, &neighbour, &q["id"]).await;
        assert_eq!(status, 201, "booking {n}: {trip}");
        let (status, _) = gw
            .post(
                &format!("/client/v1/trips/{}/cancel", trip["id"].as_str().unwrap()),
                &neighbour,
                None,
            )
            .await;
        assert_eq!(status, 200);
    }
    let q = quote(&gw, &neighbour).await;
    let (status, refused) = book(&gw, &neighbour, &q["id"]).await;
    assert_eq!(
        status, 429,
        "finding 3 is back: free cancellations are unlimited"
    );
    assert_eq!(refused["reason"], "cancellation_limit");
}

/// Findings 6 and 7: the identity edges, at odmu_auth itself.
#[tokio::test]
async fn the_login_limits_hold_and_lock_no_owner_out() {
    // Loopback is no trusted proxy here: a caller on it speaks for itself.
    let stack = LocalStack::start_with(
        24000,
        &[
            ("AUTH_TRUSTED_PROXIES", "10.0.0.0/8"),
            ("AUTH_LOGIN_LIMIT_PER_ADDRESS", "5"),
            ("AUTH_SIGNUP_LIMIT_PER_ADDRESS", "3"),
        ],
    )
    .await;
    let gw = stack.gateway();
    let auth = format!("http://127.0.0.1:{}", stack.port_of("odmu_auth"));
    // 6. A rotating X-Forwarded-For, directly on the service, meets the per-address limit.
    let mut statuses = Vec::new();
    for n in 0..6 {
        let res = gw
            .http
            .post(format!("{auth}/auth/v1/token"))
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .form(&[
                ("grant_type", "password"),
                ("email", format!("nobody{n}@sec.test").as_str()),
                ("password", "wrong password 42"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(
        statuses.last(),
        Some(&429),
        "finding 6 is back: {statuses:?}"
    );
    // 7. Sign-up is limited per address.
    let mut statuses = Vec::new();
    for n in 0..4 {
        let res = gw
            .http
            .post(format!("{}/auth/v1/users", gw.base))
            .json(
                &json!({"email": format!("new{n}@sec.test"), "password": "a-long-password",
                          "role": "rider"}),
            )
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 201, 429], "finding 7 is back");
    stack.stop().await;
}

/// Finding 7 (lock-out), 5, 8, 9 and the tokens of 10: storage, logs, the edge and tokens.
#[tokio::test]
async fn the_edges_answer_4xx_and_tokens_open_only_their_doors() {
    let stack = LocalStack::start_with(25000, &[("AUTH_LOGIN_LIMIT_PER_ACCOUNT", "3")]).await;
    let gw = stack.gateway();
    let auth = format!("http://127.0.0.1:{}", stack.port_of("odmu_auth"));
    let rider = person(&gw, "owner@sec.test", Role::Rider).await;
    let login_from = |from: &'static str, password: &'static str| {
        let (http, auth) = (gw.http.clone(), auth.clone());
        async move {
            http.post(format!("{auth}/auth/v1/token"))
                .header("x-forwarded-for", from)
                .form(&[
                    ("grant_type", "password"),
                    ("email", "owner@sec.test"),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // 7. Ten wrong passwords from an attacker's address do not lock the owner out.
    for _ in 0..10 {
        login_from("6.6.6.6", "not the password").await;
    }
    assert_eq!(
        login_from("6.6.6.6", odmu_testkit::accounts::PASSWORD).await,
        429
    );
    assert_eq!(
        login_from("198.51.100.7", odmu_testkit::accounts::PASSWORD).await,
        200,
        "finding 7 is back: the owner is locked out"
    );

    // 5. NUL in text: 422 naming the field, never 500, never stored.
    let driver = person(&gw, "nul@sec.test", Role::Driver).await;
    let profile =
        json!({"name": "\u{0}", "vehicle_plate": "AB-123-CD", "vehicle_class": "standard"});
    let (status, body) = gw.put("/driver/v1/profile", &driver, profile).await;
    assert_eq!(status, 422, "finding 5 is back: {body}");
    assert_eq!(body["errors"][0]["field"], "name");
    let invoice = uuid::Uuid::new_v4();
    let pay = json!({"amount_cents": 100, "method": "card", "reference": "\u{0}ref"});
    let (status, body) = gw
        .call(
            reqwest::Method::POST,
            &format!("/billing/v1/invoices/{invoice}/payments"),
            &rider,
            Some(pay),
            Some("nul-1"),
        )
        .await;
    assert_eq!(status, 422, "finding 5 is back: {body}");

    // 8. Over the limit, short of its length: 413 and 408 from the gateway, never 5xx.
    let big = "x".repeat(200 * 1024);
    for _ in 0..10 {
        let res = gw
            .http
            .post(format!(
                "{}/billing/v1/invoices/{invoice}/payments",
                gw.base
            ))
            .bearer_auth(&rider.token)
            .header("content-type", "application/json")
            .header("idempotency-key", "big-1")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413, "finding 8 is back");
    }

    // 9. A forged log line in client_id is refused; an unsafe request id is replaced.
    let res = gw
        .http
        .post(format!("{}/auth/v1/token", gw.base))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_id",
                "billing\n2026-12-05T00:00:00Z  INFO admin logged in",
            ),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "finding 9 is back");
    let res = gw
        .http
        .get(format!("{}/billing/health", gw.base))
        .header("x-request-id", "x".repeat(8000))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"].len(), 36, "finding 9 is back");

    // 10. billing's credentials do not open driver_api's internal endpoints (billing never
    // calls driver_api), and a token signed to last until 2100 is refused.
    let billing = service_token(
        &gw.http,
        &auth,
        "billing",
        &stack.secret("CLIENT_SECRET_billing"),
    )
    .await;
    let driver_api = format!("http://127.0.0.1:{}", stack.port_of("driver_api"));
    let res = gw
        .http
        .get(format!(
            "{driver_api}/driver/v1/internal/supply?lat=48.85&lon=2.35"
        ))
        .bearer_auth(&billing)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        401,
        "finding 10 is back: any service opens any service"
    );
    let key = odmu_authn::SigningKey::from_pem(
        &std::fs::read_to_string(stack.data_dir().join("odmu_auth/signing-key.pem")).unwrap(),
    )
    .unwrap();
    let mut forever = odmu_authn::Claims::new(
        "odmu",
        "odmu",
        &rider.id,
        Role::Rider,
        Duration::from_secs(900),
    );
    forever.exp = 4_102_444_800;
    let res = gw
        .http
        .get(format!("{}/auth/v1/me", gw.base))
        .bearer_auth(key.sign(&forever).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        401,
        "finding 10 is back: a 2100 expiry passes"
    );
    stack.stop().await;
}
