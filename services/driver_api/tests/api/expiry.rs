//! A ride no driver accepts within `RIDE_REQUEST_TTL_S` becomes `expired`.

use std::time::Duration;

use serde_json::json;

use crate::support::{CENTRE, Stack, eventually};

#[tokio::test]
async fn an_unaccepted_ride_expires_after_the_ttl_and_an_accepted_one_does_not() {
    let stack = Stack::start_with(&[("RIDE_REQUEST_TTL_S", "1")]).await;
    let driver = stack.online_driver(CENTRE).await;
    let waiting = stack.ride(CENTRE).await;
    let taken = stack.ride(CENTRE).await;
    let (waiting, taken) = (
        waiting["id"].as_str().unwrap(),
        taken["id"].as_str().unwrap(),
    );
    stack
        .act(&driver, taken, "accept", &json!({}))
        .await
        .expect(200);

    eventually(
        "the waiting ride expires",
        Duration::from_secs(4),
        || async { stack.internal_ride(waiting).await["status"] == "expired" },
    )
    .await;
    let expired = stack.internal_ride(waiting).await;
    assert!(expired["expired_at"].is_string());
    assert_eq!(stack.internal_ride(taken).await["status"], "accepted");
    // Expired rides are neither offered nor accepted.
    let open = stack
        .api
        .get("/v1/rides/open")
        .as_(&driver)
        .send()
        .await
        .expect(200);
    assert_eq!(open.body["items"], json!([]));
    let other = stack.online_driver(CENTRE).await;
    let refused = stack
        .act(&other, waiting, "accept", &json!({}))
        .await
        .expect(409);
    assert_eq!(refused.body["ride_status"], "expired");
    let refused = stack
        .api
        .post(&format!("/v1/internal/rides/{waiting}/cancel"))
        .as_(&stack.client_app)
        .json(&json!({"by": "rider"}))
        .send()
        .await
        .expect(409);
    assert_eq!(refused.body["ride_status"], "expired");
}
