//! What the load was told, checked against the platform afterwards: every booking, completion
//! and cancellation that got a 2xx is in the data, every charged ride has exactly one invoice
//! and the trip shows it, the books balance, and the outbox has drained (nothing lost,
//! nothing twice).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::actors::Actor;
use super::flow::Gateway;

/// The most problems listed in the report (the counts are complete).
const LISTED: usize = 20;

/// What a trip was acknowledged to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acked {
    /// Booked (`201`), nothing acknowledged since.
    Booked,
    /// Completed (`200` on complete).
    Completed,
    /// Cancelled by the rider (`200` on cancel), with the fee the answer named.
    Cancelled {
        /// In minor units.
        fee_cents: i64,
    },
}

/// The acknowledged trips of a run, by trip id, with their rider.
#[derive(Default)]
pub struct Journal {
    trips: Mutex<HashMap<String, (usize, Acked)>>,
}

impl Journal {
    /// Records that `trip` of rider `rider` is acknowledged as `state`.
    pub fn ack(&self, rider: usize, trip: &str, state: Acked) {
        self.trips
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(trip.to_owned(), (rider, state));
    }

    fn snapshot(&self) -> Vec<(String, usize, Acked)> {
        self.trips
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(t, (r, s))| (t.clone(), *r, *s))
            .collect()
    }
}

/// The outcome of the checks (`verification` in the report).
#[derive(Debug, Default, Serialize)]
pub struct Verification {
    /// Whether every check passed.
    pub ok: bool,
    /// Acknowledged trips checked.
    pub trips_checked: u64,
    /// Of them, acknowledged completions.
    pub completed_acked: u64,
    /// Of them, acknowledged cancellations with a fee.
    pub charged_cancellations_acked: u64,
    /// The load's riders' invoices.
    pub invoices: u64,
    /// Trips whose acknowledged state is not what the platform shows, or whose invoice is
    /// missing (first few).
    pub lost: Vec<String>,
    /// How many.
    pub lost_count: u64,
    /// (ride, kind) with more than one invoice, or invoices their trip does not show.
    pub duplicated: Vec<String>,
    /// How many.
    pub duplicated_count: u64,
    /// The ledger's trial balance (`null` without admin access).
    pub ledger_balanced: Option<bool>,
    /// Outbox messages still pending when the checks ended (`null` without admin access).
    pub outbox_pending: Option<i64>,
    /// Dead outbox messages.
    pub outbox_dead: Option<i64>,
    /// How long the outbox took to drain after the load ended, ms.
    pub outbox_drained_ms: Option<u64>,
    /// Checks not made, and why.
    pub skipped: Vec<String>,
}

impl Verification {
    fn lost(&mut self, what: String) {
        self.lost_count += 1;
        if self.lost.len() < LISTED {
            self.lost.push(what);
        }
    }

    fn duplicated(&mut self, what: String) {
        self.duplicated_count += 1;
        if self.duplicated.len() < LISTED {
            self.duplicated.push(what);
        }
    }

    /// One line for the terminal.
    pub fn line(&self) -> String {
        let opt = |v: Option<i64>| v.map_or("-".to_owned(), |v| v.to_string());
        format!(
            "checks: {} · {} trips, {} completions, {} charged cancellations, {} invoices · lost {} · duplicated {} · ledger {} · outbox pending {} dead {}{}",
            if self.ok { "passed" } else { "FAILED" },
            self.trips_checked,
            self.completed_acked,
            self.charged_cancellations_acked,
            self.invoices,
            self.lost_count,
            self.duplicated_count,
            match self.ledger_balanced {
                Some(true) => "balanced",
                Some(false) => "NOT BALANCED",
                None => "-",
            },
            opt(self.outbox_pending),
            opt(self.outbox_dead),
            self.outbox_drained_ms
                .map(|ms| format!(" (drained in {ms} ms)"))
                .unwrap_or_default()
        )
    }
}

/// `GET path` as the bearer of `token`: the body of a 2xx, else what went wrong.
pub(crate) async fn get(gw: &Gateway, path: &str, token: &str) -> Result<Value, String> {
    let res = gw
        .http
        .get(format!("{}{path}", gw.base))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| format!("GET {path}: {e}"))?;
    let status = res.status();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("GET {path}: {status} {body}"))
    }
}

/// Every page of a list.
async fn all_pages(gw: &Gateway, path: &str, token: &str) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_path = match &cursor {
            Some(c) => format!("{path}?limit=200&cursor={c}"),
            None => format!("{path}?limit=200"),
        };
        let page = get(gw, &page_path, token).await?;
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return Ok(items),
        }
    }
}

/// Waits up to `patience` for the outbox to drain; answers (pending, dead, drained after ms).
pub(crate) async fn drain_outbox(
    gw: &Gateway,
    admin: &str,
    patience: Duration,
) -> Result<(i64, i64, Option<u64>), String> {
    let began = Instant::now();
    loop {
        let outbox = get(gw, "/driver/v1/outbox", admin).await;
        if let Ok(outbox) = &outbox {
            let pending = outbox["pending"].as_i64().unwrap_or(-1);
            let dead = outbox["dead"].as_i64().unwrap_or(-1);
            if pending == 0 {
                let ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
                return Ok((pending, dead, Some(ms)));
            }
            if began.elapsed() > patience {
                return Ok((pending, dead, None));
            }
        } else if began.elapsed() > patience {
            return outbox.map(|_| (-1, -1, None));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks the platform against `journal`. `admin` (a token) adds the ledger and the outbox;
/// `patience` bounds the wait for the outbox to drain.
pub async fn verify(
    gw: &Gateway,
    riders: &[Actor],
    journal: &Journal,
    admin: Option<&str>,
    patience: Duration,
) -> Verification {
    let mut v = Verification::default();
    let mut failed_reads = Vec::new();
    // The outbox first: invoices appear on trips once it has delivered.
    match admin {
        Some(admin) => match drain_outbox(gw, admin, patience).await {
            Ok((pending, dead, drained)) => {
                v.outbox_pending = Some(pending);
                v.outbox_dead = Some(dead);
                v.outbox_drained_ms = drained;
            }
            Err(e) => failed_reads.push(e),
        },
        None => {
            // Without the outbox's view, give deliveries the same time to land.
            v.skipped
                .push("ledger and outbox: no admin credentials (see `odmu load --help`)".into());
            tokio::time::sleep(Duration::from_secs(2).min(patience)).await;
        }
    }

    // Each rider's trips and invoices, a few riders at a time.
    let acked = journal.snapshot();
    let mut by_rider: BTreeMap<usize, Vec<(String, Acked)>> = BTreeMap::new();
    for (trip, rider, state) in acked {
        by_rider.entry(rider).or_default().push((trip, state));
    }
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = tokio::task::JoinSet::new();
    for (rider, trips) in by_rider {
        let Some(actor) = riders.get(rider) else {
            continue;
        };
        let (gw, token, permits) = (gw.clone(), actor.token.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            check_rider(&gw, &token, trips).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(r)) => {
                v.trips_checked += r.trips;
                v.completed_acked += r.completed;
                v.charged_cancellations_acked += r.charged;
                v.invoices += r.invoices;
                for l in r.lost {
                    v.lost(l);
                }
                for d in r.duplicated {
                    v.duplicated(d);
                }
            }
            Ok(Err(e)) => failed_reads.push(e),
            Err(e) => failed_reads.push(e.to_string()),
        }
    }

    if let Some(admin) = admin {
        match get(gw, "/billing/v1/ledger/summary", admin).await {
            Ok(summary) => v.ledger_balanced = summary["balanced"].as_bool(),
            Err(e) => failed_reads.push(e),
        }
    }
    for e in failed_reads {
        v.lost(format!("could not check: {e}"));
    }
    v.ok = v.lost_count == 0
        && v.duplicated_count == 0
        && v.ledger_balanced != Some(false)
        && v.outbox_pending.is_none_or(|p| p == 0)
        && v.outbox_dead.is_none_or(|d| d == 0);
    v
}

#[derive(Default)]
struct RiderCheck {
    trips: u64,
    completed: u64,
    charged: u64,
    invoices: u64,
    lost: Vec<String>,
    duplicated: Vec<String>,
}

/// One rider: each acknowledged trip as the platform shows it, and the rider's invoices, one
/// per charged (ride, kind), each shown on its trip.
async fn check_rider(
    gw: &Gateway,
    token: &str,
    trips: Vec<(String, Acked)>,
) -> Result<RiderCheck, String> {
    let mut r = RiderCheck::default();
    let mut shown: HashMap<String, String> = HashMap::new();
    for (trip, acked) in &trips {
        r.trips += 1;
        let view = get(gw, &format!("/client/v1/trips/{trip}"), token).await;
        let view = match view {
            Ok(v) => v,
            Err(e) => {
                r.lost.push(format!("trip {trip} ({acked:?}): {e}"));
                continue;
            }
        };
        let status = view["status"].as_str().unwrap_or("");
        let invoice = view["invoice_id"].as_str();
        if let Some(i) = invoice {
            shown.insert(i.to_owned(), trip.clone());
        }
        let fine = match acked {
            Acked::Booked => !status.is_empty(),
            Acked::Completed => {
                r.completed += 1;
                status == "completed" && invoice.is_some()
            }
            Acked::Cancelled { fee_cents } => {
                if *fee_cents > 0 {
                    r.charged += 1;
                }
                status == "cancelled" && (*fee_cents == 0 || invoice.is_some())
            }
        };
        if !fine {
            r.lost.push(format!(
                "trip {trip}: acknowledged {acked:?}, shows status {status:?} invoice {invoice:?}"
            ));
        }
    }
    let invoices = all_pages(gw, "/billing/v1/invoices", token).await?;
    r.invoices = invoices.len() as u64;
    let listed: HashSet<&str> = invoices.iter().filter_map(|i| i["id"].as_str()).collect();
    for (invoice, trip) in &shown {
        if !listed.contains(invoice.as_str()) {
            r.lost.push(format!(
                "trip {trip} shows invoice {invoice}, which billing does not list"
            ));
        }
    }
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for invoice in &invoices {
        let id = invoice["id"].as_str().unwrap_or_default();
        let ride = invoice["ride_id"].as_str().unwrap_or_default().to_owned();
        let kind = invoice["kind"].as_str().unwrap_or_default().to_owned();
        if !seen.insert((ride.clone(), kind.clone())) {
            r.duplicated
                .push(format!("ride {ride} has two {kind} invoices"));
        }
        // An invoice of a trip outside the journal (its request failed without an answer)
        // must still be the one its trip shows.
        if !shown.contains_key(id) {
            let view = get(gw, &format!("/client/v1/trips/{ride}"), token).await?;
            if view["invoice_id"].as_str() != Some(id) {
                r.duplicated.push(format!(
                    "invoice {id} of ride {ride} is not the one the trip shows ({})",
                    view["invoice_id"]
                ));
            }
        }
    }
    Ok(r)
}
