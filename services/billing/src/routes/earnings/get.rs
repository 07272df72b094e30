//! `GET /billing/v1/earnings` (driver): the caller's balance and entries in one currency.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, PageQuery, Problem, Query, responses};
use odmu_storage::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::account::Account;
use crate::domain::ledger::TxKind;
use crate::domain::money::Currency;
use crate::{AppState, Error, store};
use odmu_ids::DriverId;

/// The page and the currency.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EarningsQuery {
    /// ISO 4217 code of the balance and entries (default `EUR`, `BILLING_DEFAULT_CURRENCY`).
    #[param(
        min_length = 3,
        max_length = 3,
        pattern = "^[A-Z]{3}$",
        example = "EUR"
    )]
    pub currency: Option<String>,
    /// Entries per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page; absent for the first page. Pass it back as
    /// it came: its form is not part of the API.
    #[param(pattern = r"^-?[0-9]{1,18}~[A-Za-z0-9_-]{0,64}$")]
    pub cursor: Option<String>,
}

/// A driver's balance in one currency and a page of its entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Earnings {
    /// The driver.
    pub driver_id: DriverId,
    /// The currency of `balance_cents` and `entries`.
    pub currency: String,
    /// What the platform owes the driver now: earnings − payouts − voided earnings (negative
    /// only if a charge was voided after its earnings were paid out).
    pub balance_cents: i64,
    /// The postings on the driver's account, newest first: positive earned (a charge),
    /// negative paid out or reversed (a payout, a void).
    pub entries: Vec<EarningsEntry>,
    /// Pass as `cursor` for more entries; `null` on the last page.
    pub next_cursor: Option<String>,
    /// The driver's balance in every currency they have entries in, by code.
    pub balances: Vec<CurrencyBalance>,
}

/// One posting on the driver's account, as the driver sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EarningsEntry {
    /// The ledger transaction.
    pub transaction_id: String,
    /// What it records.
    #[schema(value_type = TxKind)]
    pub kind: String,
    /// Positive: earned; negative: paid out or reversed. In minor units.
    pub amount_cents: i64,
    /// The invoice of a charge or void.
    pub invoice_id: Option<String>,
    /// The payout.
    pub payout_id: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
}

/// A balance in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrencyBalance {
    /// ISO 4217 code.
    pub currency: String,
    /// What the platform owes the driver in it.
    pub balance_cents: i64,
}

/// The calling driver's earnings in one currency (`?currency=`, default `EUR`): the balance
/// owed and its entries, paginated. `balances` lists every currency the driver has.
#[utoipa::path(
    get, path = "/v1/earnings", tag = "earnings", security(("bearer" = [])),
    params(EarningsQuery),
    responses(
        (status = 200, description = "The balance and a page of entries", body = Earnings),
        (status = 422, description = "`currency` is not three uppercase letters, `limit` is \
          out of range or `cursor` is not one this list handed out", body = Problem,
         content_type = "application/problem+json"),
        responses::Guarded,
        responses::List,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
    Query(query): Query<EarningsQuery>,
) -> Result<Json<Earnings>, Error> {
    let currency = match query.currency.as_deref() {
        None => state.config().default_currency,
        Some(code) => Currency::new(code).map_err(|_| {
            Problem::unprocessable("The currency is not valid.")
                .with_field_error("currency", "must be three uppercase letters (ISO 4217)")
        })?,
    };
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .parse()?;
    let driver = auth.driver();
    let account = Account::Driver(driver).to_string();
    let balances: Vec<CurrencyBalance> = store::ledger::balances_of(state.db(), &account)
        .await?
        .into_iter()
        .map(|b| CurrencyBalance {
            currency: b.currency,
            balance_cents: b.balance_cents.saturating_neg(),
        })
        .collect();
    let balance_cents = balances
        .iter()
        .find(|b| b.currency == currency.as_str())
        .map_or(0, |b| b.balance_cents);
    let rows = store::ledger::entries_of(
        state.db(),
        &account,
        currency.as_str(),
        page.before(),
        page.fetch(),
    )
    .await?;
    let page = page.page(
        rows,
        |r| (r.created_at_ms, r.transaction_id.clone()),
        |r| EarningsEntry {
            transaction_id: r.transaction_id,
            kind: r.kind,
            // The account is a liability: a credit (negative posting) is money earned.
            amount_cents: r.amount_cents.saturating_neg(),
            invoice_id: r.invoice_id,
            payout_id: r.payout_id,
            created_at: rfc3339(r.created_at_ms),
        },
    );
    Ok(Json(Earnings {
        driver_id: driver,
        currency: currency.as_str().to_owned(),
        balance_cents,
        entries: page.items,
        next_cursor: page.next_cursor,
        balances,
    }))
}
