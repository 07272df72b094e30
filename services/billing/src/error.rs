//! billing's one error type: every handler answers with it, as problem+json.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use odmu_http::{ClientError, Problem};
use odmu_storage::StorageError;
use serde_json::json;

use crate::domain::invoice::{PaymentError, PayoutError, TransitionError};
use crate::domain::ledger::LedgerError;
use crate::payments::CaptureError;

/// Everything a billing request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No invoice with this id that the caller may see (another rider's answers the same).
    #[error("no such invoice")]
    InvoiceNotFound,
    /// A client mistake or refusal, already in the project's format.
    #[error(transparent)]
    Problem(#[from] Problem),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// contractual failed or could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A payment the invoice does not allow.
    #[error(transparent)]
    Payment(#[from] PaymentError),
    /// A status change the invoice does not allow.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// A payout the driver's balance does not allow.
    #[error(transparent)]
    Payout(#[from] PayoutError),
    /// A ledger invariant would break: a bug or a corrupt row, never the caller's mistake.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The capture step refused or failed.
    #[error(transparent)]
    Capture(#[from] CaptureError),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Self::InvoiceNotFound => Problem::not_found("No invoice with this id."),
            Self::Problem(p) => p,
            Self::Storage(e) => odmu_runtime::storage_problem(&e),
            Self::Client(e) => Problem::from(e),
            Self::Payment(PaymentError::NotOpen(e)) | Self::Transition(e) => not_open(e),
            Self::Payment(PaymentError::WrongAmount { expected, got }) => {
                Problem::unprocessable("A payment pays the whole outstanding amount.")
                    .with_field_error(
                        "amount_cents",
                        format!("must be the outstanding {expected}, not {got}"),
                    )
                    .with_extension("outstanding_cents", json!(expected))
            }
            Self::Payout(PayoutError::NonPositiveAmount { amount }) => {
                Problem::unprocessable("A payout is a positive amount.")
                    .with_field_error("amount_cents", format!("must be positive, not {amount}"))
            }
            Self::Payout(PayoutError::ExceedsBalance { balance, requested }) => Problem::conflict(
                format!("The driver's balance is {balance}; a payout of {requested} exceeds it."),
            )
            .with_extension("balance_cents", json!(balance)),
            Self::Ledger(e) => Problem::internal(format!("ledger invariant: {e}")),
            Self::Capture(CaptureError::Declined(reason)) => {
                Problem::unprocessable("The payment was declined.")
                    .with_field_error("method", reason)
            }
            Self::Capture(CaptureError::Unavailable) => {
                Problem::unavailable("The payment provider is unavailable; retry later.")
                    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
            }
        }
        .into_response()
    }
}

fn not_open(e: TransitionError) -> Problem {
    let status = match e {
        TransitionError::AlreadyPaid => "paid",
        TransitionError::AlreadyVoid => "void",
    };
    Problem::conflict(format!("The invoice is {status}, no longer open."))
        .with_extension("invoice_status", json!(status))
}
