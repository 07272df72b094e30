//! First accept wins: one conditional write decides among any number of concurrent drivers,
//! and the database's one-active-ride-per-driver index refuses a second active ride.

use std::sync::Arc;

use serde_json::json;
use tokio::sync::Barrier;

use crate::support::{CENTRE, Stack, offset};

#[tokio::test]
async fn of_fifty_drivers_accepting_one_ride_at_once_exactly_one_wins() {
    let stack = Arc::new(Stack::start().await);
    let ride = stack.ride(offset(CENTRE, 300.0, 0.0)).await;
    let id = ride["id"].as_str().unwrap().to_owned();
    let mut drivers = Vec::new();
    for n in 0..50 {
        drivers.push(
            stack
                .online_driver(offset(CENTRE, f64::from(n) * 10.0, 0.0))
                .await,
        );
    }

    let barrier = Arc::new(Barrier::new(drivers.len()));
    let mut attempts = tokio::task::JoinSet::new();
    for driver in drivers.clone() {
        let (stack, barrier, id) = (stack.clone(), barrier.clone(), id.clone());
        attempts.spawn(async move {
            barrier.wait().await;
            let reply = stack.act(&driver, &id, "accept", &json!({})).await;
            (driver, reply)
        });
    }
    let mut winners = Vec::new();
    let mut taken = 0;
    while let Some(done) = attempts.join_next().await {
        let (driver, reply) = done.unwrap();
        match reply.status {
            200 => winners.push(driver),
            409 => {
                assert_eq!(reply.body["reason"], "ride_taken", "{}", reply.body);
                assert_eq!(reply.str("type"), "urn:odmu:problem:ride_taken");
                taken += 1;
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!((winners.len(), taken), (1, 49));
    let winner = &winners[0];

    // The winner asking again gets the same ride; the ride names the winner.
    let again = stack
        .act(winner, &id, "accept", &json!({}))
        .await
        .expect(200);
    assert_eq!(again.body["id"], id.as_str());
    assert_eq!(again.body["status"], "accepted");
    let seen = stack.internal_ride(&id).await;
    assert_eq!(seen["driver"]["id"], winner.id.as_str());
    assert_eq!(seen["driver"]["name"], "Dana");
    assert_eq!(seen["driver"]["vehicle_plate"], "AB-123-CD");
    // A loser asking again is still refused.
    let loser = drivers.iter().find(|d| d.id != winner.id).unwrap();
    let refused = stack
        .act(loser, &id, "accept", &json!({}))
        .await
        .expect(409);
    assert_eq!(refused.body["reason"], "ride_taken");
}

#[tokio::test]
async fn one_driver_accepting_two_rides_at_once_gets_one_and_is_busy_for_the_other() {
    let stack = Arc::new(Stack::start().await);
    let driver = stack.online_driver(CENTRE).await;
    for _ in 0..5 {
        let first = stack.ride(offset(CENTRE, 200.0, 0.0)).await;
        let second = stack.ride(offset(CENTRE, 0.0, 200.0)).await;
        let barrier = Arc::new(Barrier::new(2));
        let mut attempts = tokio::task::JoinSet::new();
        for ride in [&first, &second] {
            let (stack, barrier, driver) = (stack.clone(), barrier.clone(), driver.clone());
            let id = ride["id"].as_str().unwrap().to_owned();
            attempts.spawn(async move {
                barrier.wait().await;
                (
                    id.clone(),
                    stack.act(&driver, &id, "accept", &json!({})).await,
                )
            });
        }
        let mut statuses = Vec::new();
        let mut won = None;
        while let Some(done) = attempts.join_next().await {
            let (id, reply) = done.unwrap();
            if reply.status == 409 {
                assert_eq!(reply.body["reason"], "driver_busy", "{}", reply.body);
            } else {
                won = Some(id);
            }
            statuses.push(reply.status);
        }
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409]);
        // The other ride is still open for others; the driver releases to take the next.
        let won = won.unwrap();
        let lost = [&first, &second]
            .into_iter()
            .find(|r| r["id"] != won.as_str())
            .unwrap();
        assert_eq!(
            stack.internal_ride(lost["id"].as_str().unwrap()).await["status"],
            "requested"
        );
        stack
            .act(&driver, &won, "release", &json!({}))
            .await
            .expect(200);
    }
}

#[tokio::test]
async fn a_driver_must_be_online_to_accept_and_unknown_rides_are_404() {
    let stack = Stack::start().await;
    let ride = stack.ride(CENTRE).await;
    let id = ride["id"].as_str().unwrap();
    let driver = stack.driver_with_profile().await;
    let refused = stack
        .act(&driver, id, "accept", &json!({}))
        .await
        .expect(409);
    assert_eq!(refused.body["reason"], "offline");
    let online = stack.online_driver(CENTRE).await;
    stack
        .act(&online, &crate::support::new_id(), "accept", &json!({}))
        .await
        .expect(404);
    stack
        .act(&online, "not-a-uuid", "accept", &json!({}))
        .await
        .expect(404);
    // Riders and services cannot accept.
    stack
        .act(&stack.rider(), id, "accept", &json!({}))
        .await
        .expect(403);
    stack
        .act(&stack.client_app, id, "accept", &json!({}))
        .await
        .expect(403);
}
