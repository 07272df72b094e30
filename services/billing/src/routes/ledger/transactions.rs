//! `GET /billing/v1/ledger/transactions` (admin): the journal, newest first.

use std::collections::HashMap;

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Page, PageQuery, Query, responses};
use odmu_storage::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::ledger::TxKind;
use crate::store::ledger::EntryRow;
use crate::{AppState, Error, store};

/// One transaction of the journal with its postings.
#[derive(Debug, Serialize, ToSchema)]
pub struct JournalTransaction {
    /// The transaction id.
    #[schema(format = "uuid")]
    pub id: String,
    /// The business event.
    #[schema(value_type = TxKind)]
    pub kind: String,
    /// ISO 4217 code of every posting.
    pub currency: String,
    /// The invoice charged, paid or voided.
    pub invoice_id: Option<String>,
    /// The payout.
    pub payout_id: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// The postings, summing to zero.
    pub postings: Vec<JournalPosting>,
}

/// One posting: debit positive, credit negative.
#[derive(Debug, Serialize, ToSchema)]
pub struct JournalPosting {
    /// `rider:<id>`, `driver:<id>`, `platform:revenue` or `platform:cash`.
    pub account: String,
    /// Signed, in minor units: debit positive, credit negative.
    pub amount_cents: i64,
}

/// The journal, newest first, each transaction with its postings.
#[utoipa::path(
    get, path = "/v1/ledger/transactions", tag = "ledger", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the journal", body = Page<JournalTransaction>),
        responses::Guarded,
        responses::List,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::Admin>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<JournalTransaction>>, Error> {
    let page = query.parse()?;
    let rows = store::ledger::journal(state.db(), page.before(), page.fetch()).await?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut postings: HashMap<String, Vec<EntryRow>> = HashMap::new();
    for entry in store::ledger::entries_for(state.db(), &ids).await? {
        postings
            .entry(entry.transaction_id.clone())
            .or_default()
            .push(entry);
    }
    Ok(Json(page.page(
        rows,
        |r| (r.created_at_ms, r.id.clone()),
        |r| {
            JournalTransaction {
                postings: postings
                    .remove(&r.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|e| JournalPosting {
                        account: e.account,
                        amount_cents: e.amount_cents,
                    })
                    .collect(),
                id: r.id,
                kind: r.kind,
                currency: r.currency,
                invoice_id: r.invoice_id,
                payout_id: r.payout_id,
                created_at: rfc3339(r.created_at_ms),
            }
        },
    )))
}
