//! The attacker's findings against booking: only the platform's own quotes book, a rider books
//! one trip at a time, and free cancellations are bounded; each refusal tells the rider why.

use serde_json::json;

use crate::support::{PICKUP, Platform, new_key, str_of};

/// Finding 2: a rider's own quote at contractual (a 40 km trip at `distance_m: 1`, no surge)
/// booked at 8.50 €.
#[tokio::test]
async fn a_quote_the_rider_priced_is_an_estimate_that_does_not_book() {
    let platform = Platform::start().await;
    let rider = platform.rider();
    let estimate = platform
        .contract
        .post("/v1/quotes")
        .as_(&rider)
        .json(&json!({"distance_m": 1,
                      "pickup": {"lat": PICKUP.0, "lon": PICKUP.1},
                      "dropoff": {"lat": PICKUP.0 + 0.36, "lon": PICKUP.1}}))
        .send()
        .await
        .expect(201)
        .body;
    assert_eq!(estimate["bookable"], false);
    let refused = platform
        .book(&rider, str_of(&estimate, "id"), &new_key())
        .await
        .expect(422);
    assert_eq!(refused.fields(), ["quote_id"]);
    // The platform's own quote of the same rider books.
    let quote = platform.quote(&rider).await;
    assert_eq!(quote["bookable"], true);
    platform
        .book(&rider, str_of(&quote, "id"), &new_key())
        .await
        .expect(201);
}

/// Finding 3: three bookings doubled a neighbour's price and were cancelled for free.
#[tokio::test]
async fn a_rider_books_one_trip_at_a_time_and_cancels_for_free_a_few_times_an_hour() {
    let platform = Platform::start().await;
    let (rider, trip) = platform.booked().await;
    let quote = platform.quote(&rider).await;
    let refused = platform
        .book(&rider, str_of(&quote, "id"), &new_key())
        .await
        .expect(409);
    assert_eq!(refused.body["reason"], "rider_has_open_ride");
    assert_eq!(refused.body["trip_id"], trip["id"]);
    // The refused booking left no trip behind: the quote books once the first is cancelled.
    platform
        .cancel(&rider, str_of(&trip, "id"))
        .await
        .expect(200);
    for _ in 0..2 {
        let quote = platform.quote(&rider).await;
        let trip = platform
            .book(&rider, str_of(&quote, "id"), &new_key())
            .await
            .expect(201);
        platform
            .cancel(&rider, str_of(&trip.body, "id"))
            .await
            .expect(200);
    }
    let waits = platform
        .book(&rider, str_of(&quote, "id"), &new_key())
        .await
        .expect(429);
    assert_eq!(waits.body["reason"], "cancellation_limit");
    let retry: i64 = waits.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 3000, "{retry}");
}
