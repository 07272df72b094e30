//! `POST /billing/v1/internal/charges` (services): exactly one invoice per ride and kind.
//!
//! The rides' outbox delivers at least once; this turns it into exactly once. A repeat is
//! found by a read first (no price call needed), but correctness comes from the UNIQUE
//! `(ride_id, kind)` constraint: the insert of the invoice is `ON CONFLICT DO NOTHING`, and the
//! loser of a race answers the winner's invoice.

use axum::extract::State;
use axum::http::StatusCode;
use odmu_authn::{Auth, roles};
use odmu_http::{ClientError, Fields, Json, Problem, integer, responses};
use odmu_ids::{DriverId, QuoteId, RideId, RiderId};
use odmu_storage::now_millis;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::clients::contractual::{Actuals, FinalPrice};
use crate::domain::invoice::{ChargeKind, InvoiceStatus};
use crate::domain::ledger::{ChargeSplit, LedgerError, Transaction};
use crate::domain::limits::{MAX_AMOUNT_CENTS, MAX_DISTANCE_M, MAX_DURATION_S};
use crate::domain::money::Currency;
use crate::ledger::{self, Link};
use crate::routes::invoices::Invoice;
use crate::store::invoices::{InvoiceRow, NewInvoice};
use crate::{AppState, Error, store};

/// A ride to charge: completed (`ride`) or cancelled with a fee (`cancellation`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeInput {
    /// The ride (the caller's trip id); with `kind`, what makes a charge unique.
    #[schema(format = "uuid")]
    pub ride_id: String,
    /// A completed ride or a cancellation fee.
    pub kind: ChargeKind,
    /// Who pays.
    #[schema(format = "uuid")]
    pub rider_id: String,
    /// Who earns.
    #[schema(format = "uuid")]
    pub driver_id: String,
    /// The quote the ride was booked on; contractual prices it.
    #[schema(format = "uuid")]
    pub quote_id: String,
    /// Actual distance of a completed ride, in metres.
    #[schema(minimum = 0, maximum = 1_000_000)]
    #[serde(default, deserialize_with = "integer::optional")]
    pub distance_m: Option<i64>,
    /// Actual duration of a completed ride, in seconds.
    #[schema(minimum = 0, maximum = 172_800)]
    #[serde(default, deserialize_with = "integer::optional")]
    pub duration_s: Option<i64>,
    /// Seconds from the ride's start to its completion by the platform's clock (contractual
    /// bounds the actuals by it).
    #[schema(minimum = 0, maximum = 172_800)]
    #[serde(default, deserialize_with = "integer::optional")]
    pub elapsed_s: Option<i64>,
    /// Distance of the driver's recorded positions during the ride, in metres: the evidence
    /// a price above the quote needs.
    #[schema(minimum = 0, maximum = 1_000_000)]
    #[serde(default, deserialize_with = "integer::optional")]
    pub evidence_distance_m: Option<i64>,
}

/// The checked charge.
struct Charge {
    ride_id: RideId,
    kind: ChargeKind,
    rider_id: RiderId,
    driver_id: DriverId,
    quote_id: QuoteId,
    actuals: Actuals,
}

impl ChargeInput {
    fn check(&self) -> Result<Charge, Problem> {
        let mut fields = Fields::new("The charge is not valid.");
        let ride_id = fields.id("ride_id", &self.ride_id);
        let rider_id = fields.id("rider_id", &self.rider_id);
        let driver_id = fields.id("driver_id", &self.driver_id);
        let quote_id = fields.id("quote_id", &self.quote_id);
        for (field, value, max) in [
            ("distance_m", self.distance_m, MAX_DISTANCE_M),
            ("duration_s", self.duration_s, MAX_DURATION_S),
            ("elapsed_s", self.elapsed_s, MAX_DURATION_S),
            (
                "evidence_distance_m",
                self.evidence_distance_m,
                MAX_DISTANCE_M,
            ),
        ] {
            if value.is_some_and(|v| !(0..=max).contains(&v)) {
                fields.fail(field, format!("must be 0 to {max}"));
            }
        }
        fields.finish()?;
        Ok(Charge {
            ride_id,
            kind: self.kind,
            rider_id,
            driver_id,
            quote_id,
            actuals: Actuals {
                distance_m: self.distance_m,
                duration_s: self.duration_s,
                elapsed_s: self.elapsed_s,
                evidence_distance_m: self.evidence_distance_m,
            },
        })
    }
}

/// Charges a ride or a cancellation once: prices it through contractual and writes the
/// invoice and its ledger transaction in one database transaction. A price of 0 (a tariff
/// without a cancellation fee, say) still makes its one invoice, born `paid` with nothing
/// owed and no ledger transaction: the ledger holds no zero postings.
#[utoipa::path(
    post, path = "/v1/internal/charges", tag = "internal", security(("bearer" = [])),
    request_body = ChargeInput,
    responses(
        (status = 201, description = "Charged: the new invoice", body = Invoice),
        (status = 200, description = "Already charged: the same invoice as the first time", body = Invoice),
        (status = 404, description = "contractual knows no such `quote_id`", body = Problem,
         content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid (named in `errors`), contractual \
          refuses to price it, or the ride was already charged with another rider, driver or \
          quote", body = Problem,
         content_type = "application/problem+json"),
        (status = 503, description = "contractual cannot be reached: nothing was written; retry",
         body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::ServiceCaller>,
    Json(input): Json<ChargeInput>,
) -> Result<(StatusCode, Json<Invoice>), Error> {
    let charge = input.check()?;
    let (ride_id, kind) = (charge.ride_id.to_string(), charge.kind.as_str());
    // The cheap path for redeliveries: no price call.
    if let Some(existing) = store::invoices::find_by_ride(state.db(), &ride_id, kind).await? {
        return repeat(existing, &charge);
    }
    let price = state
        .contractual()?
        .price(charge.quote_id, charge.kind, &charge.actuals)
        .await
        .map_err(price_refused)?;
    let (currency, split) = checked(&price)?;

    let now = now_millis();
    let invoice_id = Uuid::new_v4().to_string();
    // The ledger transaction and its id; none for a price of 0.
    let charge_tx = split.map(|split| {
        let posted = Transaction::charge(currency, charge.rider_id, charge.driver_id, split);
        (ledger::new_id(), posted)
    });
    let (rider_id, driver_id, quote_id) = (
        charge.rider_id.to_string(),
        charge.driver_id.to_string(),
        charge.quote_id.to_string(),
    );
    let born_paid = charge_tx.is_none();
    let new = NewInvoice {
        id: &invoice_id,
        ride_id: &ride_id,
        kind,
        rider_id: &rider_id,
        driver_id: &driver_id,
        quote_id: &quote_id,
        currency: currency.as_str(),
        amount_cents: price.amount_cents,
        platform_cents: price.platform_cents,
        driver_cents: price.driver_cents,
        basis: price.basis.as_deref().unwrap_or(kind),
        tariff_code: price.tariff_code.as_deref(),
        tariff_version: price.tariff_version,
        status: if born_paid {
            InvoiceStatus::Paid.as_str()
        } else {
            InvoiceStatus::Open.as_str()
        },
        charge_tx_id: charge_tx.as_ref().map(|(id, _)| id.as_str()),
        now_ms: now,
        paid_at_ms: born_paid.then_some(now),
        review: price.review.as_ref().map(|r| {
            (
                r.reason.as_str(),
                r.reported_distance_m,
                r.reported_duration_s,
            )
        }),
    };

    let mut tx = state.db().begin_write().await?;
    let Some(created) = store::invoices::insert(tx.conn(), &new).await? else {
        // Another delivery won the race: nothing was written here.
        tx.commit().await?;
        let existing = store::invoices::find_by_ride(state.db(), &ride_id, kind)
            .await?
            .ok_or_else(|| Problem::internal("the conflicting invoice vanished"))?;
        return repeat(existing, &charge);
    };
    if let Some((id, transaction)) = &charge_tx {
        ledger::post(&mut tx, id, Link::Invoice(&invoice_id), transaction, now).await?;
    }
    tx.commit().await?;
    tracing::info!(
        invoice_id,
        ride_id,
        kind,
        amount_cents = price.amount_cents,
        "charged"
    );
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// The answer to a repeat: the existing invoice (200), unless the repeat describes another
/// charge of the same ride (422: a bug in the caller, which retrying will not fix).
fn repeat(existing: InvoiceRow, charge: &Charge) -> Result<(StatusCode, Json<Invoice>), Error> {
    let mut problem =
        Problem::unprocessable("This ride was already charged for this kind, with other details.");
    for (field, stored, sent) in [
        ("rider_id", &existing.rider_id, charge.rider_id.to_string()),
        (
            "driver_id",
            &existing.driver_id,
            charge.driver_id.to_string(),
        ),
        ("quote_id", &existing.quote_id, charge.quote_id.to_string()),
    ] {
        if *stored != sent {
            problem = problem.with_field_error(field, format!("was {stored} in the first charge"));
        }
    }
    if !problem.errors.is_empty() {
        return Err(problem.into());
    }
    Ok((StatusCode::OK, Json(existing.into())))
}

/// contractual's refusals that are the caller's to fix become 404 (no such quote) or 422;
/// the rest (unreachable, 5xx) stays a 503 so the caller retries.
fn price_refused(e: ClientError) -> Error {
    let ClientError::Status {
        status, problem, ..
    } = &e
    else {
        return e.into();
    };
    match status.as_u16() {
        // A well-formed id of no quote: "not found", like any reference to nothing.
        404 => Problem::not_found("contractual knows no such quote.")
            .with_field_error("quote_id", "is not a quote contractual knows")
            .into(),
        400 | 409 | 410 | 422 => {
            let detail = problem
                .as_ref()
                .and_then(|p| p.detail.clone())
                .unwrap_or_else(|| format!("contractual answered {status}"));
            let mut refused =
                Problem::unprocessable(format!("contractual cannot price this charge: {detail}"));
            for error in problem.iter().flat_map(|p| p.errors.iter()) {
                refused = refused.with_field_error(error.field.clone(), error.message.clone());
            }
            refused.into()
        }
        _ => e.into(),
    }
}

/// The price as the ledger takes it: its currency and split, or no split for a price of 0.
/// A price that breaks the rules is contractual's bug, not the caller's: a 500, logged.
fn checked(price: &FinalPrice) -> Result<(Currency, Option<ChargeSplit>), Error> {
    let currency = Currency::new(&price.currency).map_err(LedgerError::from)?;
    if (price.amount_cents, price.platform_cents, price.driver_cents) == (0, 0, 0) {
        return Ok((currency, None));
    }
    let split = ChargeSplit::new(price.amount_cents, price.platform_cents, price.driver_cents)?;
    if split.amount() > MAX_AMOUNT_CENTS {
        return Err(Problem::internal(format!(
            "contractual priced {} cents, above billing's {MAX_AMOUNT_CENTS}",
            split.amount()
        ))
        .into());
    }
    Ok((currency, Some(split)))
}
