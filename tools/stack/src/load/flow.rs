//! One ride flow as a rider and a driver live it, through the gateway: quote, book, the driver
//! sees the ride and accepts it, starts it with the rider's code, completes it, and the invoice
//! appears on the rider's trip. A share of flows is cancelled by the rider after booking.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::actors::{Actor, CENTRE};
use super::stats::{Outcome, Stats};
use super::verify::{Acked, Journal};

/// A step failed: its status (or `timeout` / `connect`) and a detail for the log.
#[derive(Debug)]
pub struct StepError {
    /// The step.
    pub step: &'static str,
    /// What the report counts it as.
    pub kind: String,
    /// For the log.
    pub detail: String,
}

/// The gateway and an HTTP client shared by the flows.
#[derive(Clone)]
pub struct Gateway {
    /// `http://127.0.0.1:8080`.
    pub base: String,
    /// One pool of connections.
    pub http: reqwest::Client,
    /// How long a rider waits for the invoice to appear on the trip.
    pub invoice_wait: Duration,
}

/// A trip a failed flow left behind (booked, maybe accepted or started): the pair's next flow
/// settles it first, so that the driver is free again and nothing stays half done.
#[derive(Debug, Clone)]
pub struct Dangling {
    trip: String,
    code: String,
    distance_m: i64,
    duration_s: i64,
}

/// One rider with one driver, and what their last flow left behind.
pub struct Pair {
    /// The rider's index among the load's riders.
    pub rider_index: usize,
    /// The rider.
    pub rider: Actor,
    /// The driver.
    pub driver: Actor,
    /// Left by a failed flow.
    pub dangling: std::sync::Mutex<Option<Dangling>>,
    /// When the rider cancelled for free, newest last (the last hour's).
    pub cancellations: std::sync::Mutex<Vec<Instant>>,
}

/// The free cancellations driver_api lets a rider make in an hour before booking waits.
const FREE_CANCELLATIONS: usize =
    driver_api::domain::rider_limits::FREE_CANCELLATION_LIMIT as usize;

impl Pair {
    /// Whether the rider may cancel now and still book the next flow: fewer than the limit
    /// less one free cancellations in the last hour, as a real rider's rare ones would be.
    fn may_cancel(&self) -> bool {
        let mut times = self.cancellations.lock().unwrap_or_else(|e| e.into_inner());
        times.retain(|t| t.elapsed() < Duration::from_secs(3600));
        times.len() + 1 < FREE_CANCELLATIONS
    }

    fn cancelled(&self, fee_cents: i64) {
        if fee_cents == 0 {
            self.cancellations
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Instant::now());
        }
    }
}

/// One request of a flow's step.
pub struct Req<'a> {
    step: &'static str,
    method: Method,
    path: &'a str,
    token: &'a str,
    body: Option<Value>,
    key: Option<&'a str>,
}

impl<'a> Req<'a> {
    /// `method path` as the bearer of `token`, counted under `step`.
    pub fn new(step: &'static str, method: Method, path: &'a str, token: &'a str) -> Self {
        Self {
            step,
            method,
            path,
            token,
            body: None,
            key: None,
        }
    }

    /// With this JSON body.
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// With this `Idempotency-Key`.
    pub fn key(mut self, key: &'a str) -> Self {
        self.key = Some(key);
        self
    }
}

impl Gateway {
    /// One request, timed and recorded under its step; a non-2xx answer is an error.
    pub async fn call(&self, stats: &Stats, req: Req<'_>) -> Result<Value, StepError> {
        let step = req.step;
        let mut request = self
            .http
            .request(req.method, format!("{}{}", self.base, req.path))
            .bearer_auth(req.token);
        if let Some(body) = &req.body {
            request = request.json(body);
        }
        if let Some(key) = req.key {
            request = request.header("idempotency-key", key);
        }
        let started = Instant::now();
        let result = request.send().await;
        let answer = match result {
            Ok(response) => {
                let status = response.status();
                let body = response.json::<Value>().await.unwrap_or(Value::Null);
                if status.is_success() {
                    Ok(body)
                } else {
                    Err(StepError {
                        step,
                        kind: status.as_u16().to_string(),
                        detail: body.to_string(),
                    })
                }
            }
            Err(e) => Err(StepError {
                step,
                kind: if e.is_timeout() { "timeout" } else { "connect" }.to_owned(),
                detail: e.to_string(),
            }),
        };
        stats.record(
            step,
            started.elapsed(),
            answer.as_ref().err().map(|e| e.kind.clone()),
        );
        answer
    }
}

/// Runs one flow of the pair's rider with its driver (who waits online at the pickup), after
/// settling what a failed flow left. `cancel` makes the rider cancel after booking.
pub async fn run(
    gw: &Gateway,
    stats: &Stats,
    journal: &Journal,
    pair: &Pair,
    cancel: bool,
    serial: u64,
) -> Outcome {
    let started = Instant::now();
    let left = pair
        .dangling
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    let mut current = None;
    let result = match left {
        Some(d) => match settle(gw, stats, journal, pair, &d).await {
            Ok(()) => steps(gw, stats, journal, pair, cancel, serial, &mut current).await,
            Err(e) => {
                current = Some(d);
                Err(e)
            }
        },
        None => steps(gw, stats, journal, pair, cancel, serial, &mut current).await,
    };
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => {
            tracing::warn!(step = e.step, status = %e.kind, detail = %e.detail, "flow failed");
            *pair.dangling.lock().unwrap_or_else(|e| e.into_inner()) = current;
            Outcome::Failed
        }
    };
    stats.flow(started.elapsed(), outcome);
    outcome
}

/// Brings a trip a failed flow left to an end, as its rider and driver would: cancel it while
/// requested, else start and complete it.
pub async fn settle(
    gw: &Gateway,
    stats: &Stats,
    journal: &Journal,
    pair: &Pair,
    d: &Dangling,
) -> Result<(), StepError> {
    let trip = gw
        .call(
            stats,
            Req::new(
                "recover",
                Method::GET,
                &format!("/client/v1/trips/{}", d.trip),
                &pair.rider.token,
            ),
        )
        .await?;
    let ride = format!("/driver/v1/rides/{}", d.trip);
    let status = trip["status"].as_str().unwrap_or_default();
    if status == "requested" {
        let cancelled = gw
            .call(
                stats,
                Req::new(
                    "recover",
                    Method::POST,
                    &format!("/client/v1/trips/{}/cancel", d.trip),
                    &pair.rider.token,
                ),
            )
            .await?;
        let fee_cents = cancelled["cancellation_fee_cents"].as_i64().unwrap_or(0);
        pair.cancelled(fee_cents);
        journal.ack(pair.rider_index, &d.trip, Acked::Cancelled { fee_cents });
        return Ok(());
    }
    if status == "accepted" {
        gw.call(
            stats,
            Req::new(
                "recover",
                Method::POST,
                &format!("{ride}/start"),
                &pair.driver.token,
            )
            .json(json!({"start_code": d.code})),
        )
        .await?;
    }
    if status == "accepted" || status == "in_progress" {
        gw.call(
            stats,
            Req::new(
                "recover",
                Method::POST,
                &format!("{ride}/complete"),
                &pair.driver.token,
            )
            .json(json!({"distance_m": d.distance_m, "duration_s": d.duration_s})),
        )
        .await?;
        journal.ack(pair.rider_index, &d.trip, Acked::Completed);
    }
    Ok(())
}

async fn steps(
    gw: &Gateway,
    stats: &Stats,
    journal: &Journal,
    pair: &Pair,
    cancel: bool,
    serial: u64,
    current: &mut Option<Dangling>,
) -> Result<Outcome, StepError> {
    let (rider, driver) = (&pair.rider, &pair.driver);
    let pickup = driver.position;
    // A few kilometres away, in a direction that changes from flow to flow.
    let angle = (serial % 360) as f64 * std::f64::consts::PI / 180.0;
    let dropoff =
        json!({"lat": CENTRE.0 + 0.03 * angle.sin(), "lon": CENTRE.1 + 0.04 * angle.cos()});
    let quote = gw
        .call(
            stats,
            Req::new("quote", Method::POST, "/client/v1/quotes", &rider.token)
                .json(json!({"pickup": {"lat": pickup.0, "lon": pickup.1}, "dropoff": dropoff})),
        )
        .await?;
    let key = uuid::Uuid::new_v4().to_string();
    let trip = gw
        .call(
            stats,
            Req::new("book", Method::POST, "/client/v1/trips", &rider.token)
                .json(json!({"quote_id": quote["id"]}))
                .key(&key),
        )
        .await?;
    let trip_id = text(&trip, "id", "book")?;
    let code = text(&trip, "start_code", "book")?;
    let distance = quote["distance_m"].as_i64().unwrap_or(1000);
    let duration = quote["duration_s"].as_i64().unwrap_or(300);
    journal.ack(pair.rider_index, &trip_id, Acked::Booked);
    *current = Some(Dangling {
        trip: trip_id.clone(),
        code: code.clone(),
        distance_m: distance,
        duration_s: duration,
    });
    if cancel && pair.may_cancel() {
        let cancelled = gw
            .call(
                stats,
                Req::new(
                    "cancel",
                    Method::POST,
                    &format!("/client/v1/trips/{trip_id}/cancel"),
                    &rider.token,
                ),
            )
            .await?;
        let fee_cents = cancelled["cancellation_fee_cents"].as_i64().unwrap_or(0);
        pair.cancelled(fee_cents);
        journal.ack(pair.rider_index, &trip_id, Acked::Cancelled { fee_cents });
        *current = None;
        return Ok(Outcome::Cancelled);
    }
    let open = gw
        .call(
            stats,
            Req::new("see", Method::GET, "/driver/v1/rides/open", &driver.token),
        )
        .await?;
    let seen = open["items"]
        .as_array()
        .or_else(|| open.as_array())
        .is_some_and(|rides| rides.iter().any(|r| r["id"] == trip_id.as_str()));
    if !seen {
        stats.record("see", Duration::ZERO, Some("not_listed".into()));
        return Err(StepError {
            step: "see",
            kind: "not_listed".into(),
            detail: format!("ride {trip_id} is not among the driver's open rides"),
        });
    }
    let ride = format!("/driver/v1/rides/{trip_id}");
    gw.call(
        stats,
        Req::new(
            "accept",
            Method::POST,
            &format!("{ride}/accept"),
            &driver.token,
        ),
    )
    .await?;
    gw.call(
        stats,
        Req::new(
            "start",
            Method::POST,
            &format!("{ride}/start"),
            &driver.token,
        )
        .json(json!({"start_code": code})),
    )
    .await?;
    gw.call(
        stats,
        Req::new(
            "complete",
            Method::POST,
            &format!("{ride}/complete"),
            &driver.token,
        )
        .json(json!({"distance_m": distance, "duration_s": duration})),
    )
    .await?;
    journal.ack(pair.rider_index, &trip_id, Acked::Completed);
    *current = None;
    invoice(gw, stats, rider, &trip_id).await?;
    Ok(Outcome::Completed)
}

/// Waits until the rider's trip shows its invoice (the outbox delivered the charge).
async fn invoice(gw: &Gateway, stats: &Stats, rider: &Actor, trip: &str) -> Result<(), StepError> {
    let started = Instant::now();
    let mut poll = Duration::from_millis(10);
    loop {
        let path = format!("/client/v1/trips/{trip}");
        if let Ok(body) = super::verify::get(gw, &path, &rider.token).await
            && body["invoice_id"].is_string()
        {
            stats.record("invoice", started.elapsed(), None);
            return Ok(());
        }
        if started.elapsed() > gw.invoice_wait {
            stats.record("invoice", started.elapsed(), Some("timeout".into()));
            return Err(StepError {
                step: "invoice",
                kind: "timeout".into(),
                detail: format!("no invoice on trip {trip} after {:?}", gw.invoice_wait),
            });
        }
        // As a rider's app would, but finer: soon at first (the outbox usually delivers in
        // tens of ms), then less often, so that polls do not crowd out the flows under load.
        tokio::time::sleep(poll).await;
        poll = (poll * 2).min(Duration::from_millis(200));
    }
}

fn text(body: &Value, key: &str, step: &'static str) -> Result<String, StepError> {
    body[key]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| StepError {
            step,
            kind: "shape".into(),
            detail: format!("no {key} in {body}"),
        })
}
