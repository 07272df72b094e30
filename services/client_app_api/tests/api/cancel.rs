//! `POST /client/v1/trips/{id}/cancel`: driver_api decides the fee; the rider sees it on the
//! trip.

use crate::support::{PICKUP, Platform, str_of};

#[tokio::test]
async fn a_requested_trip_cancels_for_free_and_cancelling_again_answers_it_again() {
    let platform = Platform::start().await;
    let (rider, booked) = platform.booked().await;
    let id = str_of(&booked, "id");
    let cancelled = platform.cancel(&rider, id).await.expect(200).body;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancellation_fee_cents"], 0);
    assert!(cancelled["start_code"].is_null(), "{cancelled}");
    assert_eq!(cancelled["quote"], booked["quote"]);
    let again = platform.cancel(&rider, id).await.expect(200).body;
    assert_eq!(again, cancelled);
    assert_eq!(platform.trip(&rider, id).await.expect(200).body, cancelled);
}

#[tokio::test]
async fn a_trip_in_progress_cannot_be_cancelled_and_nobody_cancels_anothers() {
    let platform = Platform::start().await;
    let driver = platform.online_driver(PICKUP).await;
    let (rider, booked) = platform.booked().await;
    let id = str_of(&booked, "id");
    platform.cancel(&platform.rider(), id).await.expect(404);

    platform
        .accept_and_start(&driver, id, str_of(&booked, "start_code"))
        .await;
    let refused = platform.cancel(&rider, id).await.expect(409);
    assert_eq!(refused.body["trip_status"], "in_progress");
    let trip = platform.trip(&rider, id).await.expect(200).body;
    assert_eq!(trip["status"], "in_progress");
}
