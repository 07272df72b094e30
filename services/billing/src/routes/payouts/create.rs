//! `POST /billing/v1/payouts` (admin, `Idempotency-Key` required).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};
use odmu_idempotency::Idempotent;
use odmu_ids::DriverId;
use odmu_storage::{now_millis, rfc3339};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Payout;
use crate::domain::invoice::validate_payout;
use crate::domain::ledger::Transaction;
use crate::domain::limits::{self, MAX_AMOUNT_CENTS};
use crate::domain::money::Currency;
use crate::ledger::{self, Link};
use crate::store::payouts::NewPayout;
use crate::{AppState, Error, store};
use odmu_http::integer;

/// A payout to order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutInput {
    /// The driver to pay.
    #[schema(format = "uuid")]
    pub driver_id: String,
    /// How much, in minor units: at most what the platform owes the driver.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    #[serde(deserialize_with = "integer::exact")]
    pub amount_cents: i64,
    /// ISO 4217 code (default `EUR`, `BILLING_DEFAULT_CURRENCY`).
    #[schema(
        min_length = 3,
        max_length = 3,
        pattern = "^[A-Z]{3}$",
        example = "EUR"
    )]
    pub currency: Option<String>,
}

/// Pays a driver out of their balance: the driver's account is debited and cash credited,
/// in one database transaction that first holds the balance (a conditional write), so
/// concurrent payouts never overdraw it.
#[utoipa::path(
    post, path = "/v1/payouts", tag = "payouts", security(("bearer" = [])),
    params(
        ("Idempotency-Key" = String, Header, min_length = 1, max_length = 255,
          pattern = "^[!-~]+$", description = "A unique value per payout (a \
          UUID), sent again unchanged on a retry: the same key and body replay the first \
          answer; 1 to 255 visible ASCII characters"),
    ),
    request_body = PayoutInput,
    responses(
        (status = 201, description = "Paid out", body = Payout),
        (status = 400, description = "The `Idempotency-Key` header is missing or not valid, \
          or the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The amount exceeds the driver's balance \
          (`balance_cents`), or a request with this key is still running (`Retry-After`)",
         body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid (named in `errors`), or the key was \
          used with another body", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Admin>,
    request: Idempotent<PayoutInput>,
) -> Response {
    request
        .run(|input| async move { pay_out(&state, &auth.claims.sub, input).await })
        .await
}

async fn pay_out(
    state: &AppState,
    admin_id: &str,
    input: PayoutInput,
) -> Result<(StatusCode, Json<Payout>), Error> {
    let mut bad = Vec::new();
    let driver = DriverId::parse(&input.driver_id);
    if driver.is_none() {
        bad.push(("driver_id", "must be a UUID".to_owned()));
    }
    if !limits::amount_in_range(input.amount_cents) {
        bad.push(("amount_cents", format!("must be 1 to {MAX_AMOUNT_CENTS}")));
    }
    let currency = match input.currency.as_deref() {
        None => Some(state.config().default_currency),
        Some(code) => Currency::new(code).ok(),
    };
    if currency.is_none() {
        bad.push((
            "currency",
            "must be three uppercase letters (ISO 4217)".to_owned(),
        ));
    }
    let (Some(driver), Some(currency), true) = (driver, currency, bad.is_empty()) else {
        return Err(bad
            .into_iter()
            .fold(
                Problem::unprocessable("The payout is not valid."),
                |p, (field, message)| p.with_field_error(field, message),
            )
            .into());
    };
    let amount = input.amount_cents;
    let transaction = Transaction::payout(currency, driver, amount)?;

    let now = now_millis();
    let (payout_id, transaction_id) = (Uuid::new_v4().to_string(), ledger::new_id());
    let driver_id = driver.to_string();
    let mut tx = state.db().begin_write().await?;
    if !ledger::hold_payable(&mut tx, driver, currency, amount).await? {
        // Nothing was written: end the transaction, then say what the balance is.
        tx.commit().await?;
        let balance = ledger::driver_payable(state.db(), driver, currency).await?;
        validate_payout(balance, amount)?;
        return Err(Problem::conflict("The driver's balance changed meanwhile; retry.").into());
    }
    store::payouts::insert(
        tx.conn(),
        &NewPayout {
            id: &payout_id,
            driver_id: &driver_id,
            currency: currency.as_str(),
            amount_cents: amount,
            transaction_id: &transaction_id,
            admin_id,
            now_ms: now,
        },
    )
    .await?;
    ledger::post(
        &mut tx,
        &transaction_id,
        Link::Payout(&payout_id),
        &transaction,
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(payout_id, driver_id, amount_cents = amount, "paid out");
    Ok((
        StatusCode::CREATED,
        Json(Payout {
            id: payout_id,
            driver_id,
            currency: currency.as_str().to_owned(),
            amount_cents: amount,
            transaction_id,
            created_at: rfc3339(now),
        }),
    ))
}
