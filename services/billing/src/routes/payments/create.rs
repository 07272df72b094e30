//! `POST /billing/v1/invoices/{id}/payments` (rider, `Idempotency-Key` required).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use odmu_authn::{Auth, Claims, roles};
use odmu_http::{Json, Path, Problem, responses};
use odmu_idempotency::Idempotent;
use odmu_ids::RiderId;
use odmu_storage::{now_millis, rfc3339};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Payment;
use crate::domain::invoice::{PaymentMethod, validate_payment};
use crate::domain::ledger::{LedgerError, Transaction};
use crate::domain::limits::{self, MAX_AMOUNT_CENTS, MAX_REFERENCE_CHARS};
use crate::domain::money::Currency;
use crate::ledger::{self, Link};
use crate::payments::CaptureRequest;
use crate::routes::invoices::{status_of, visible};
use crate::store::payments::NewPayment;
use crate::{AppState, Error, store};
use odmu_http::integer;

/// A payment of an invoice, as the payment provider reported its capture.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// The whole outstanding amount, in minor units (payments are never partial).
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    #[serde(deserialize_with = "integer::exact")]
    pub amount_cents: i64,
    /// How the rider paid.
    pub method: PaymentMethod,
    /// The provider's reference of the capture, 1 to 128 characters.
    #[schema(min_length = 1, max_length = 128)]
    pub reference: String,
}

/// Pays an open invoice of the caller's in full: one conditional status change, the ledger
/// transaction (cash debited, the rider credited) and the payment row, in one database
/// transaction. At most one payment per invoice (a UNIQUE constraint besides).
#[utoipa::path(
    post, path = "/v1/invoices/{id}/payments", tag = "invoices", security(("bearer" = [])),
    params(
        ("id" = String, Path, format = "uuid", description = "The invoice id"),
        ("Idempotency-Key" = String, Header, min_length = 1, max_length = 255,
          pattern = "^[!-~]+$", description = "A unique value per payment (a \
          UUID), sent again unchanged on a retry: the same key and body replay the first \
          answer; 1 to 255 visible ASCII characters"),
    ),
    request_body = PaymentInput,
    responses(
        (status = 201, description = "Paid: the payment and the invoice", body = Payment),
        (status = 400, description = "The `Idempotency-Key` header is missing or not valid, \
          or the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invoice, or another rider's", body = Problem,
         content_type = "application/problem+json"),
        (status = 409, description = "The invoice is paid or void, or a request with this key \
          is still running (`Retry-After`)", body = Problem,
         content_type = "application/problem+json"),
        (status = 422, description = "Not the outstanding amount, a field out of range, or \
          the key was used with another body", body = Problem,
         content_type = "application/problem+json"),
        responses::Guarded,
        responses::JsonBody,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Rider>,
    Path(id): Path<String>,
    request: Idempotent<PaymentInput>,
) -> Response {
    request
        .run(|input| async move { pay(&state, &auth.claims, &id, input).await })
        .await
}

async fn pay(
    state: &AppState,
    claims: &Claims,
    id: &str,
    input: PaymentInput,
) -> Result<(StatusCode, Json<Payment>), Error> {
    let mut bad = Vec::new();
    if !limits::amount_in_range(input.amount_cents) {
        bad.push(("amount_cents", format!("must be 1 to {MAX_AMOUNT_CENTS}")));
    }
    if !limits::reference_in_range(&input.reference) {
        bad.push((
            "reference",
            format!("must be 1 to {MAX_REFERENCE_CHARS} characters"),
        ));
    }
    if !bad.is_empty() {
        return Err(bad
            .into_iter()
            .fold(
                Problem::unprocessable("The payment is not valid."),
                |p, (field, message)| p.with_field_error(field, message),
            )
            .into());
    }
    let invoice = visible(state, claims, id).await?;
    validate_payment(
        status_of(&invoice)?,
        invoice.amount_cents,
        input.amount_cents,
    )?;
    let currency = Currency::new(&invoice.currency).map_err(LedgerError::from)?;
    let rider = RiderId::parse(&invoice.rider_id).ok_or_else(|| {
        Problem::internal(format!("invoice {}: rider id is not a UUID", invoice.id))
    })?;
    let transaction = Transaction::payment(currency, rider, invoice.amount_cents)?;
    let captured = state
        .capture()
        .capture(&CaptureRequest {
            invoice_id: &invoice.id,
            rider_id: &invoice.rider_id,
            amount_cents: invoice.amount_cents,
            currency,
            method: input.method,
            reference: &input.reference,
        })
        .await?;

    let now = now_millis();
    let (payment_id, transaction_id) = (Uuid::new_v4().to_string(), ledger::new_id());
    let mut tx = state.db().begin_write().await?;
    let Some(paid) = store::invoices::mark_paid(tx.conn(), &invoice.id, now).await? else {
        // Another payment (or a void) got there first; nothing was written here.
        tx.commit().await?;
        let now_row = store::invoices::get(state.db(), &invoice.id)
            .await?
            .ok_or(Error::InvoiceNotFound)?;
        status_of(&now_row)?.pay()?;
        return Err(Problem::conflict("The invoice changed meanwhile; retry.").into());
    };
    ledger::post(
        &mut tx,
        &transaction_id,
        Link::Invoice(&invoice.id),
        &transaction,
        now,
    )
    .await?;
    store::payments::insert(
        tx.conn(),
        &NewPayment {
            id: &payment_id,
            invoice_id: &invoice.id,
            rider_id: &invoice.rider_id,
            currency: currency.as_str(),
            amount_cents: invoice.amount_cents,
            method: input.method.as_str(),
            reference: &captured.reference,
            transaction_id: &transaction_id,
            now_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(invoice_id = invoice.id, payment_id, "paid");
    Ok((
        StatusCode::CREATED,
        Json(Payment {
            id: payment_id,
            invoice_id: invoice.id,
            rider_id: invoice.rider_id,
            amount_cents: invoice.amount_cents,
            currency: currency.as_str().to_owned(),
            method: input.method.as_str().to_owned(),
            reference: captured.reference,
            transaction_id,
            created_at: rfc3339(now),
            invoice: paid.into(),
        }),
    ))
}
