//! A dependency that is down: quotes go on without demand while driver_api is down, bookings
//! answer 503 and complete exactly once on the retry, and contractual being down is a 503.

use std::time::Duration;

use crate::support::{PICKUP, Platform, new_key, str_of};

#[tokio::test]
async fn while_driver_api_is_down_quotes_go_on_and_bookings_complete_once_on_the_retry() {
    let mut platform = Platform::start().await;
    // Demand there, to see it go: one driver, one open request.
    platform.online_driver(PICKUP).await;
    platform.booked().await;
    platform.driver.stop().await;

    // The supply cannot be measured: the quote is made without surge.
    let rider = platform.rider();
    let quote = platform.quote(&rider).await;
    assert_eq!(quote["demand_bps"], 0, "{quote}");

    // The booking is recorded, but cannot reach dispatch: 503, to retry.
    let key = new_key();
    let quote_id = str_of(&quote, "id").to_owned();
    let down = platform.book(&rider, &quote_id, &key).await.expect(503);
    assert_eq!(down.header("retry-after"), Some("1"));
    assert!(
        down.body["detail"].as_str().unwrap().contains("driver_api"),
        "{}",
        down.body
    );
    assert_eq!(platform.trips().await, 2);
    // Reading needs driver_api too.
    platform
        .client
        .get("/v1/trips")
        .as_(&rider)
        .send()
        .await
        .expect(503);

    let platform = platform.resume_driver().await;
    let rides_before = platform.rides().await;
    let done = platform.book(&rider, &quote_id, &key).await.expect(201);
    assert_eq!(
        done.header("idempotency-replayed"),
        None,
        "a 503 is not kept"
    );
    assert_eq!(done.body["status"], "requested");
    let again = platform.book(&rider, &quote_id, &key).await.expect(201);
    assert_eq!(again.body, done.body);
    assert_eq!(platform.trips().await, 2);
    assert_eq!(platform.rides().await, rides_before + 1);
}

#[tokio::test]
async fn a_pending_trip_shows_as_pending_and_any_key_completes_it() {
    let mut platform = Platform::start().await;
    let rider = platform.rider();
    let quote = platform.quote(&rider).await;
    let quote_id = str_of(&quote, "id").to_owned();
    platform.driver.stop().await;
    platform
        .book(&rider, &quote_id, &new_key())
        .await
        .expect(503);
    let platform = platform.resume_driver().await;

    let list = platform
        .client
        .get("/v1/trips")
        .as_(&rider)
        .send()
        .await
        .expect(200);
    let pending = &list.body["items"][0];
    assert_eq!(pending["status"], "pending", "{pending}");
    assert!(pending["start_code"].is_null() && pending["quoted_amount_cents"].is_null());
    let id = str_of(pending, "id").to_owned();
    let read = platform.trip(&rider, &id).await.expect(200);
    assert_eq!(read.body["status"], "pending");
    assert_eq!(read.body["quote"], quote);
    let refused = platform.cancel(&rider, &id).await.expect(409);
    assert_eq!(refused.body["trip_status"], "pending");

    // The rider's app lost the key: a new one completes the same trip, once.
    let done = platform
        .book(&rider, &quote_id, &new_key())
        .await
        .expect(201);
    assert_eq!(done.body["id"], id.as_str());
    assert_eq!(done.body["status"], "requested");
    assert_eq!((platform.trips().await, platform.rides().await), (1, 1));
    platform
        .book(&rider, &quote_id, &new_key())
        .await
        .expect(409);
}

#[tokio::test]
async fn a_pending_trip_whose_quote_expired_is_gone() {
    let mut platform = Platform::start_with(&[("CONTRACT_QUOTE_TTL_S", "1")], &[]).await;
    let rider = platform.rider();
    let quote = platform.quote(&rider).await;
    let key = new_key();
    platform.driver.stop().await;
    platform
        .book(&rider, str_of(&quote, "id"), &key)
        .await
        .expect(503);
    let platform = platform.resume_driver().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    platform
        .book(&rider, str_of(&quote, "id"), &key)
        .await
        .expect(410);
    assert_eq!(platform.rides().await, 0);
}

#[tokio::test]
async fn contractual_down_is_a_503_for_quotes_and_bookings() {
    let mut platform = Platform::start().await;
    let (rider, trip) = platform.booked().await;
    platform.contract.stop().await;
    let quote = platform
        .quote_body(&rider, &crate::support::trip_body(PICKUP, (48.85, 2.35)))
        .await
        .expect(503);
    assert_eq!(quote.header("retry-after"), Some("1"));
    platform
        .book(&rider, str_of(&trip["quote"], "id"), &new_key())
        .await
        .expect(503);
    platform.trip(&rider, str_of(&trip, "id")).await.expect(503);
}
