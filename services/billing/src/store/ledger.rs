//! The ledger's tables: the journal (`ledger_transactions`), its postings (`ledger_entries`,
//! append-only: this module has no UPDATE or DELETE of either, and triggers refuse them), and
//! two caches derived from the postings and updated in the same database transaction that
//! appends them: per-account balances and per-currency totals.

use std::collections::BTreeMap;

use odmu_storage::{Db, StorageError, sqlx};
use sqlx::AnyConnection;
use tracing::instrument;

use crate::domain::ledger::Transaction;

/// What a journal row points at.
#[derive(Debug, Clone, Copy)]
pub struct NewTransaction<'a> {
    /// Its id.
    pub id: &'a str,
    /// The invoice it charges, pays or voids.
    pub invoice_id: Option<&'a str>,
    /// The payout it records.
    pub payout_id: Option<&'a str>,
    /// Now, ms since the epoch.
    pub now_ms: i64,
}

/// Appends `transaction` (already balanced: the domain cannot build another) to the journal
/// and its postings to the entries, and moves the caches by the same amounts.
///
/// Balances are updated in account order, then the currency's totals, so two transactions
/// touching the same rows always lock them in one order (no deadlock on PostgreSQL).
#[instrument(skip_all)]
pub async fn post(
    conn: &mut AnyConnection,
    new: &NewTransaction<'_>,
    transaction: &Transaction,
) -> Result<(), StorageError> {
    let currency = transaction.currency();
    let currency = currency.as_str();
    sqlx::query(
        "INSERT INTO ledger_transactions (id, kind, currency, invoice_id, payout_id, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new.id)
    .bind(transaction.kind().as_str())
    .bind(currency)
    .bind(new.invoice_id)
    .bind(new.payout_id)
    .bind(new.now_ms)
    .execute(&mut *conn)
    .await?;

    let postings = transaction.postings();
    let values: Vec<String> = (0..postings.len())
        .map(|i| {
            let n = i * 6;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO ledger_entries (transaction_id, seq, account, currency, amount_cents, \
         created_at_ms) VALUES {}",
        values.join(", ")
    );
    let mut insert = sqlx::query(&sql);
    for (seq, posting) in postings.iter().enumerate() {
        insert = insert
            .bind(new.id)
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(posting.account.to_string())
            .bind(currency)
            .bind(posting.amount)
            .bind(new.now_ms);
    }
    insert.execute(&mut *conn).await?;

    let mut by_account: Vec<(String, i64)> = postings
        .iter()
        .map(|p| (p.account.to_string(), p.amount))
        .collect();
    by_account.sort();
    for (account, amount) in &by_account {
        sqlx::query(
            "INSERT INTO ledger_balances (account, currency, balance_cents, postings) \
             VALUES ($1, $2, $3, 1) ON CONFLICT (account, currency) DO UPDATE SET \
             balance_cents = ledger_balances.balance_cents + excluded.balance_cents, \
             postings = ledger_balances.postings + 1",
        )
        .bind(account)
        .bind(currency)
        .bind(*amount)
        .execute(&mut *conn)
        .await?;
    }

    // Each side summed from the postings themselves, so an unbalanced set would show.
    // (The domain guarantees each side fits in i64; saturating keeps this free of panics.)
    let debits = postings
        .iter()
        .fold(0_i64, |sum, p| sum.saturating_add(p.amount.max(0)));
    let credits = postings.iter().fold(0_i64, |sum, p| {
        sum.saturating_add(p.amount.min(0).saturating_neg())
    });
    sqlx::query(
        "INSERT INTO ledger_totals (currency, debits_cents, credits_cents, postings, transactions) \
         VALUES ($1, $2, $3, $4, 1) ON CONFLICT (currency) DO UPDATE SET \
         debits_cents = ledger_totals.debits_cents + excluded.debits_cents, \
         credits_cents = ledger_totals.credits_cents + excluded.credits_cents, \
         postings = ledger_totals.postings + excluded.postings, \
         transactions = ledger_totals.transactions + 1",
    )
    .bind(currency)
    .bind(debits)
    .bind(credits)
    .bind(i64::try_from(postings.len()).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Holds `amount` of a driver's payable for a payout: true when the account's cached balance
/// covers it (its raw balance is a credit of at least `amount`). The statement is a no-op
/// write to the cached balance (derived, kept in the same transactions as the entries; the
/// entries themselves are append-only and their triggers refuse UPDATE and DELETE): it is the
/// portable row lock, SQLite having no `SELECT ... FOR UPDATE`. It locks the balance row until
/// the transaction ends, so concurrent payouts of one driver are checked one after
/// the other against the balance each leaves; [`post`] then moves it.
#[instrument(skip_all)]
pub async fn hold_payable(
    conn: &mut AnyConnection,
    account: &str,
    currency: &str,
    amount: i64,
) -> Result<bool, StorageError> {
    let held = sqlx::query(
        "UPDATE ledger_balances SET balance_cents = balance_cents \
         WHERE account = $1 AND currency = $2 AND balance_cents <= $3",
    )
    .bind(account)
    .bind(currency)
    .bind(amount.saturating_neg())
    .execute(conn)
    .await?;
    Ok(held.rows_affected() == 1)
}

/// An account's cached balance in one currency (0 when it has no postings).
#[instrument(skip_all)]
pub async fn balance(db: &Db, account: &str, currency: &str) -> Result<i64, StorageError> {
    let balance: Option<i64> = sqlx::query_scalar(
        "SELECT balance_cents FROM ledger_balances WHERE account = $1 AND currency = $2",
    )
    .bind(account)
    .bind(currency)
    .fetch_optional(db.pool())
    .await?;
    Ok(balance.unwrap_or(0))
}

/// An account's cached balance in one currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BalanceRow {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of its postings (debit positive).
    pub balance_cents: i64,
}

/// An account's cached balances, one per currency it has postings in.
#[instrument(skip_all)]
pub async fn balances_of(db: &Db, account: &str) -> Result<Vec<BalanceRow>, StorageError> {
    Ok(sqlx::query_as(
        "SELECT currency, balance_cents FROM ledger_balances WHERE account = $1 ORDER BY currency",
    )
    .bind(account)
    .fetch_all(db.pool())
    .await?)
}

/// One posting on an account, with what its transaction records.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountEntryRow {
    /// The transaction.
    pub transaction_id: String,
    /// `charge`, `payment`, `payout` or `void`.
    pub kind: String,
    /// Signed amount (debit positive).
    pub amount_cents: i64,
    /// Ms since the epoch.
    pub created_at_ms: i64,
    /// The invoice it concerns.
    pub invoice_id: Option<String>,
    /// The payout it records.
    pub payout_id: Option<String>,
}

/// Up to `fetch` postings on `account` in `currency` older than `before`, newest first.
#[instrument(skip_all)]
pub async fn entries_of(
    db: &Db,
    account: &str,
    currency: &str,
    before: (i64, String),
    fetch: i64,
) -> Result<Vec<AccountEntryRow>, StorageError> {
    Ok(sqlx::query_as(
        "SELECT e.transaction_id, t.kind, e.amount_cents, e.created_at_ms, t.invoice_id, \
         t.payout_id FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id \
         WHERE e.account = $1 AND e.currency = $2 \
         AND (e.created_at_ms, e.transaction_id) < ($3, $4) \
         ORDER BY e.created_at_ms DESC, e.transaction_id DESC LIMIT $5",
    )
    .bind(account)
    .bind(currency)
    .bind(before.0)
    .bind(before.1)
    .bind(fetch)
    .fetch_all(db.pool())
    .await?)
}

/// One stored posting.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    /// Its transaction.
    pub transaction_id: String,
    /// Its place in the transaction.
    pub seq: i64,
    /// `rider:<id>`, `driver:<id>`, `platform:revenue` or `platform:cash`.
    pub account: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Signed amount (debit positive).
    pub amount_cents: i64,
}

const ENTRY_COLUMNS: &str = "transaction_id, seq, account, currency, amount_cents";

/// The postings of one transaction, in order, read inside a write transaction.
#[instrument(skip_all)]
pub async fn postings_of(
    conn: &mut AnyConnection,
    transaction_id: &str,
) -> Result<Vec<EntryRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE transaction_id = $1 ORDER BY seq"
    ))
    .bind(transaction_id)
    .fetch_all(conn)
    .await?)
}

/// One journal row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransactionRow {
    /// Its id.
    pub id: String,
    /// `charge`, `payment`, `payout` or `void`.
    pub kind: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The invoice it concerns.
    pub invoice_id: Option<String>,
    /// The payout it records.
    pub payout_id: Option<String>,
    /// Ms since the epoch.
    pub created_at_ms: i64,
}

/// Up to `fetch` journal rows older than `before`, newest first.
#[instrument(skip_all)]
pub async fn journal(
    db: &Db,
    before: (i64, String),
    fetch: i64,
) -> Result<Vec<TransactionRow>, StorageError> {
    Ok(sqlx::query_as(
        "SELECT id, kind, currency, invoice_id, payout_id, created_at_ms \
         FROM ledger_transactions WHERE (created_at_ms, id) < ($1, $2) \
         ORDER BY created_at_ms DESC, id DESC LIMIT $3",
    )
    .bind(before.0)
    .bind(before.1)
    .bind(fetch)
    .fetch_all(db.pool())
    .await?)
}

/// The postings of these transactions (at most a page of them), in order.
#[instrument(skip_all)]
pub async fn entries_for(db: &Db, ids: &[String]) -> Result<Vec<EntryRow>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE transaction_id IN ({}) \
         ORDER BY transaction_id, seq",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as(&sql);
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.fetch_all(db.pool()).await?)
}

/// The cached trial balance of one currency.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TotalsRow {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of the debits.
    pub debits_cents: i64,
    /// Sum of the credits' magnitudes.
    pub credits_cents: i64,
    /// Number of postings.
    pub postings: i64,
    /// Number of transactions.
    pub transactions: i64,
}

/// The cached totals of every currency, by code: one row each, whatever the number of
/// entries.
#[instrument(skip_all)]
pub async fn totals(db: &Db) -> Result<Vec<TotalsRow>, StorageError> {
    Ok(sqlx::query_as(
        "SELECT currency, debits_cents, credits_cents, postings, transactions \
         FROM ledger_totals ORDER BY currency",
    )
    .fetch_all(db.pool())
    .await?)
}

/// The caches checked against the entries they derive from.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// Each cached value that differs from its recomputation (empty when all agree).
    pub mismatches: Vec<String>,
    /// Accounts compared (per currency).
    pub accounts: usize,
    /// Currencies compared.
    pub currencies: usize,
}

#[derive(Debug, sqlx::FromRow)]
struct AccountSum {
    account: String,
    currency: String,
    balance_cents: i64,
    postings: i64,
}

/// Recomputes both caches from every entry (a full scan: for tests and audits, not for
/// requests) and lists where they differ.
#[instrument(skip_all)]
pub async fn audit(db: &Db) -> Result<Audit, StorageError> {
    let recomputed: Vec<AccountSum> = sqlx::query_as(
        "SELECT account, currency, CAST(SUM(amount_cents) AS BIGINT) AS balance_cents, \
         CAST(COUNT(*) AS BIGINT) AS postings FROM ledger_entries GROUP BY account, currency",
    )
    .fetch_all(db.pool())
    .await?;
    let cached: Vec<AccountSum> =
        sqlx::query_as("SELECT account, currency, balance_cents, postings FROM ledger_balances")
            .fetch_all(db.pool())
            .await?;
    let mut audit = Audit::default();
    let key = |r: &AccountSum| (r.account.clone(), r.currency.clone());
    let cached: BTreeMap<_, _> = cached
        .iter()
        .map(|r| (key(r), (r.balance_cents, r.postings)))
        .collect();
    let recomputed: BTreeMap<_, _> = recomputed
        .iter()
        .map(|r| (key(r), (r.balance_cents, r.postings)))
        .collect();
    let keys: std::collections::BTreeSet<_> = cached.keys().chain(recomputed.keys()).collect();
    for k in keys {
        let (c, r) = (cached.get(k), recomputed.get(k));
        if c != r {
            audit
                .mismatches
                .push(format!("balance of {k:?}: cached {c:?}, entries {r:?}"));
        }
    }
    audit.accounts = recomputed.len();

    let recomputed: Vec<TotalsRow> = sqlx::query_as(
        "SELECT currency, \
         CAST(SUM(CASE WHEN amount_cents > 0 THEN amount_cents ELSE 0 END) AS BIGINT) AS debits_cents, \
         CAST(SUM(CASE WHEN amount_cents < 0 THEN -amount_cents ELSE 0 END) AS BIGINT) AS credits_cents, \
         CAST(COUNT(*) AS BIGINT) AS postings, \
         CAST(COUNT(DISTINCT transaction_id) AS BIGINT) AS transactions \
         FROM ledger_entries GROUP BY currency ORDER BY currency",
    )
    .fetch_all(db.pool())
    .await?;
    let cached = totals(db).await?;
    if cached != recomputed {
        audit
            .mismatches
            .push(format!("totals: cached {cached:?}, entries {recomputed:?}"));
    }
    audit.currencies = recomputed.len();
    Ok(audit)
}
