//! `POST /billing/v1/invoices/{id}/void` (admin): reverses an open invoice's charge.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};
use odmu_storage::now_millis;

use super::{Invoice, invoice_id, status_of};
use crate::domain::ledger::Transaction;
use crate::ledger::{self, Link};
use crate::{AppState, Error, store};

/// Voids an open invoice: one conditional status change and the exact reverse of its charge,
/// in one database transaction. Nothing is deleted. A paid invoice cannot be voided (money
/// was collected: that is a refund, another flow), nor a void one again.
#[utoipa::path(
    post, path = "/v1/invoices/{id}/void", tag = "invoices", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid", description = "The invoice id")),
    responses(
        (status = 200, description = "The invoice, now void", body = Invoice),
        (status = 404, description = "No such invoice", body = Problem,
         content_type = "application/problem+json"),
        (status = 409, description = "The invoice is paid or already void", body = Problem,
         content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::Admin>,
    Path(id): Path<String>,
) -> Result<Json<Invoice>, Error> {
    let id = invoice_id(&id)?;
    let now = now_millis();
    let void_id = ledger::new_id();
    let mut tx = state.db().begin_write().await?;
    let Some(row) = store::invoices::mark_void(tx.conn(), &id, &void_id, now).await? else {
        // Nothing was written: end the transaction and say why the invoice was not open.
        tx.commit().await?;
        let row = store::invoices::get(state.db(), &id)
            .await?
            .ok_or(Error::InvoiceNotFound)?;
        status_of(&row)?.void()?;
        return Err(Problem::conflict("The invoice changed meanwhile; retry.").into());
    };
    // Only an invoice of 0 has no charge, and it is never open.
    let charge_id = row
        .charge_tx_id
        .as_deref()
        .ok_or_else(|| Problem::internal(format!("open invoice {id} has no charge")))?;
    let charge = ledger::stored_charge(&mut tx, charge_id).await?;
    let void = Transaction::void_of(&charge)?;
    ledger::post(&mut tx, &void_id, Link::Invoice(&id), &void, now).await?;
    tx.commit().await?;
    tracing::info!(invoice_id = id, "voided");
    Ok(Json(row.into()))
}
