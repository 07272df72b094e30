//! Going online needs a profile and an agreement to the current terms; location updates and
//! open rides need a driver online.

use serde_json::json;

use crate::support::{CENTRE, Stack, offset};

#[tokio::test]
async fn going_online_needs_a_profile_and_a_current_agreement_with_the_reason_when_refused() {
    let stack = Stack::start().await;
    let driver = stack.identity.driver();

    let refused = stack.set_online(&driver, true, CENTRE).await.expect(409);
    assert_eq!(refused.body["reason"], "no_profile");
    assert_eq!(refused.str("type"), "urn:odmu:problem:no_profile");
    assert!(refused.str("detail").contains("profile"));

    let driver = stack.driver_with_profile().await;
    let refused = stack.set_online(&driver, true, CENTRE).await.expect(409);
    assert_eq!(refused.body["reason"], "no_current_agreement");
    assert!(refused.str("detail").contains("terms"));
    // Without the agreement the driver cannot see rides either.
    let open = stack.api.get("/v1/rides/open").as_(&driver).send().await;
    assert_eq!(open.expect(409).body["reason"], "offline");

    // Agreeing is seen at once (refusals are never cached).
    stack.agree(&driver).await;
    let online = stack.set_online(&driver, true, CENTRE).await.expect(200);
    assert_eq!(online.body["online"], true);
    assert_eq!(
        online.body["position"],
        json!({"lat": CENTRE.0, "lon": CENTRE.1})
    );
    assert!(online.str("located_at").ends_with('Z'));
    let profile = stack
        .api
        .get("/v1/profile")
        .as_(&driver)
        .send()
        .await
        .expect(200);
    assert_eq!(profile.body["online"], true);

    // Moving while online; then offline, where moving is refused.
    let there = offset(CENTRE, 500.0, 0.0);
    let moved = stack
        .api
        .put("/v1/location")
        .as_(&driver)
        .json(&json!({"lat": there.0, "lon": there.1}))
        .send()
        .await
        .expect(200);
    assert_eq!(moved.body["position"]["lat"], there.0);
    stack.set_online(&driver, false, there).await.expect(200);
    let refused = stack
        .api
        .put("/v1/location")
        .as_(&driver)
        .json(&json!({"lat": there.0, "lon": there.1}))
        .send()
        .await
        .expect(409);
    assert_eq!(refused.body["reason"], "offline");
    let open = stack.api.get("/v1/rides/open").as_(&driver).send().await;
    assert_eq!(open.expect(409).body["reason"], "offline");
}

#[tokio::test]
async fn new_terms_need_a_new_agreement_before_going_online() {
    let stack = Stack::start().await;
    let driver = stack.driver_with_profile().await;
    stack.agree(&driver).await;
    // A fresh driver_api task has no cached answer: it asks contractual.
    stack.set_online(&driver, true, CENTRE).await.expect(200);
    stack
        .contract
        .post("/v1/terms")
        .as_(&stack.admin)
        .json(&json!({"version": 2, "title": "odmu driver terms, version 2", "body": "New terms."}))
        .send()
        .await
        .expect(201);
    // A positive answer is kept 30 s per driver in each task; a driver not asked since the
    // new terms is refused at once, and accepted once agreed.
    let other = stack.driver_with_profile().await;
    let refused = stack.set_online(&other, true, CENTRE).await.expect(409);
    assert_eq!(refused.body["reason"], "no_current_agreement");
    stack.agree(&other).await;
    stack.set_online(&other, true, CENTRE).await.expect(200);
    stack
        .api
        .get("/v1/rides/open")
        .as_(&other)
        .send()
        .await
        .expect(200);
}

#[tokio::test]
async fn going_online_while_contractual_is_down_is_a_503_and_going_offline_still_works() {
    let mut stack = Stack::start().await;
    let driver = stack.driver_with_profile().await;
    stack.contract.stop().await;
    let reply = stack.set_online(&driver, true, CENTRE).await.expect(503);
    assert_eq!(reply.header("retry-after"), Some("1"));
    stack.set_online(&driver, false, CENTRE).await.expect(200);
}
