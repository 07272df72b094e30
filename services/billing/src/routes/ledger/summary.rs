//! `GET /billing/v1/ledger/summary` (admin): the trial balance of every currency.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, responses};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{AppState, Error, store};

/// The trial balance.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerSummary {
    /// One line per currency, by code.
    pub currencies: Vec<CurrencySummary>,
    /// Whether every currency balances.
    pub balanced: bool,
    /// Postings in all currencies.
    pub postings: i64,
    /// Transactions in all currencies.
    pub transactions: i64,
}

/// The trial balance of one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrencySummary {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of the debits (positive postings), in minor units.
    pub debits_cents: i64,
    /// Sum of the credits (negative postings), as a positive number.
    pub credits_cents: i64,
    /// Whether debits equal credits: all accounts sum to zero.
    pub balanced: bool,
    /// Number of postings.
    pub postings: i64,
    /// Number of transactions.
    pub transactions: i64,
}

/// The trial balance of every currency: total debits and credits, whether they balance, and
/// counts. Read from totals kept in the same database transactions that append the entries
/// (one row per currency), so it costs the same over a million entries as over ten.
#[utoipa::path(
    get, path = "/v1/ledger/summary", tag = "ledger", security(("bearer" = [])),
    responses(
        (status = 200, description = "The trial balance", body = LedgerSummary),
        responses::Guarded,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::Admin>,
) -> Result<Json<LedgerSummary>, Error> {
    let currencies: Vec<CurrencySummary> = store::ledger::totals(state.db())
        .await?
        .into_iter()
        .map(|t| CurrencySummary {
            balanced: t.debits_cents == t.credits_cents,
            currency: t.currency,
            debits_cents: t.debits_cents,
            credits_cents: t.credits_cents,
            postings: t.postings,
            transactions: t.transactions,
        })
        .collect();
    Ok(Json(LedgerSummary {
        balanced: currencies.iter().all(|c| c.balanced),
        postings: currencies
            .iter()
            .map(|c| c.postings)
            .fold(0, i64::saturating_add),
        transactions: currencies
            .iter()
            .map(|c| c.transactions)
            .fold(0, i64::saturating_add),
        currencies,
    }))
}
