//! `POST /client/v1/trips`: one trip per quote, one ride per trip, whatever the retries.

use std::time::Duration;

use crate::support::{Platform, new_key, str_of};

#[tokio::test]
async fn a_booking_opens_one_ride_and_answers_the_trip_with_its_start_code_and_quote() {
    let platform = Platform::start().await;
    let rider = platform.rider();
    let quote = platform.quote(&rider).await;
    let reply = platform
        .book(&rider, str_of(&quote, "id"), &new_key())
        .await
        .expect(201);
    let trip = reply.body.clone();
    assert_eq!(
        reply.header("location"),
        Some(format!("/client/v1/trips/{}", str_of(&trip, "id")).as_str())
    );
    assert_eq!(trip["status"], "requested");
    assert_eq!(trip["quote_id"], quote["id"]);
    assert_eq!(trip["quote"], quote);
    let code = str_of(&trip, "start_code");
    assert!(
        code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()),
        "{trip}"
    );
    assert_eq!(trip["quoted_amount_cents"], quote["amount_cents"]);
    assert_eq!(trip["currency"], quote["currency"]);
    assert!(
        trip["driver"].is_null() && trip["invoice_id"].is_null(),
        "{trip}"
    );
    assert!(trip["final_amount_cents"].is_null() && trip["cancellation_fee_cents"].is_null());

    // The ride at driver_api carries the trip's id.
    let ride = platform
        .driver
        .get(&format!("/v1/internal/rides/{}", str_of(&trip, "id")))
        .as_(&platform.identity.service("client_app_api"))
        .send()
        .await
        .expect(200);
    assert_eq!(ride.body["quote_id"], quote["id"]);
    assert_eq!(ride.body["rider_id"], rider.id.as_str());
    assert_eq!((platform.trips().await, platform.rides().await), (1, 1));
}

#[tokio::test]
async fn a_replayed_booking_answers_the_first_answer_and_books_once() {
    let platform = Platform::start().await;
    let rider = platform.rider();
    let quote = platform.quote(&rider).await;
    let key = new_key();
    let first = platform
        .book(&rider, str_of(&quote, "id"), &key)
        .await
        .expect(201);
    let again = platform
        .book(&rider, str_of(&quote, "id"), &key)
        .await
        .expect(201);
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!((platform.trips().await, platform.rides().await), (1, 1));
}

#[tokio::test]
async fn ten_concurrent_bookings_under_one_key_make_one_trip() {
    let platform = Platform::start().await;
    let rider = platform.rider();
    let quote = platform.quote(&rider).await;
    let key = new_key();
    let quote_id = str_of(&quote, "id");
    let replies = futures_join(
        (0..10)
            .map(|_| platform.book(&rider, quote_id, &key))
            .collect(),
    )
    .await;
    let mut ids = std::collections::BTreeSet::new();
    for reply in &replies {
        match reply.status {
            201 => {
                ids.insert(str_of(&reply.body, "id").to_owned());
            }
            // Still running: the kit asks the others to come back.
            409 => assert_eq!(reply.header("retry-after"), Some("1"), "{}", reply.body),
            other => panic!("{other}: {}", reply.body),
        }
    }
    assert!(ids.len() <= 1, "{ids:?}");
    assert_eq!((platform.trips().await, platform.rides().await), (1, 1));
    // Once done, every retry gets the one trip.
    let settled = platform.book(&rider, quote_id, &key).await.expect(201);
    ids.insert(str_of(&settled.body, "id").to_owned());
    assert_eq!(ids.len(), 1);
}

/// Runs the futures concurrently on this task and answers their outputs in order.
async fn futures_join<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let n = futures.len();
    client_app_api::clients::bounded(futures, n).await
}

#[tokio::test]
async fn a_quote_books_one_trip_whatever_the_key() {
    let platform = Platform::start().await;
    let rider = platform.rider();
    let quote = platform.quote(&rider).await;
    let first = platform
        .book(&rider, str_of(&quote, "id"), &new_key())
        .await
        .expect(201);
    let second = platform
        .book(&rider, str_of(&quote, "id"), &new_key())
        .await
        .expect(409);
    assert_eq!(second.body["trip_id"], first.body["id"]);
    assert_eq!((platform.trips().await, platform.rides().await), (1, 1));
}

#[tokio::test]
async fn another_riders_quote_cannot_be_booked_nor_an_unknown_one() {
    let platform = Platform::start().await;
    let owner = platform.rider();
    let quote = platform.quote(&owner).await;
    let thief = platform.rider();
    let refused = platform
        .book(&thief, str_of(&quote, "id"), &new_key())
        .await
        .expect(404);
    assert_eq!(refused.fields(), ["quote_id"]);
    platform
        .book(&thief, &uuid::Uuid::new_v4().to_string(), &new_key())
        .await
        .expect(404);
    assert_eq!((platform.trips().await, platform.rides().await), (0, 0));
    // The owner still can.
    platform
        .book(&owner, str_of(&quote, "id"), &new_key())
        .await
        .expect(201);
}

#[tokio::test]
async fn an_expired_quote_is_gone() {
    let platform = Platform::start_with(&[("CONTRACT_QUOTE_TTL_S", "1")], &[]).await;
    let rider = platform.rider();
    let quote = platform.quote(&rider).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let gone = platform
        .book(&rider, str_of(&quote, "id"), &new_key())
        .await
        .expect(410);
    assert_eq!(gone.body["expires_at"], quote["expires_at"]);
    assert_eq!((platform.trips().await, platform.rides().await), (0, 0));
}

#[tokio::test]
async fn a_booked_quote_stays_booked_after_it_expires() {
    let platform = Platform::start_with(&[("CONTRACT_QUOTE_TTL_S", "1")], &[]).await;
    let rider = platform.rider();
    let quote = platform.quote(&rider).await;
    let key = new_key();
    let first = platform
        .book(&rider, str_of(&quote, "id"), &key)
        .await
        .expect(201);
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Its own replay answers the trip; another key hears it is booked, not gone.
    let again = platform
        .book(&rider, str_of(&quote, "id"), &key)
        .await
        .expect(201);
    assert_eq!(again.body["id"], first.body["id"]);
    platform
        .book(&rider, str_of(&quote, "id"), &new_key())
        .await
        .expect(409);
}
