//! Book summaries: per-currency trial balance and per-account balances,
//! derived purely from postings.
//!
//! Used by tests and by the service's summary endpoint, which can feed it
//! database rows `(account, amount, currency)` directly via
//! [`Books::from_rows`] / [`Books::add_row`].
//!
//! Balances are raw sums of postings (debit positive, credit negative, see
//! `ledger`), kept per `(account, currency)`. Every sum is checked, and a
//! balance is never allowed to reach `i64::MIN`, so that negating it (for a
//! driver's payable) always fits. Each `add_*` call is all-or-nothing: on
//! error the books are unchanged.

use std::collections::BTreeMap;

use odmu_ids::{DriverId, RiderId};

use super::account::Account;
use super::ledger::{LedgerError, Transaction};
use super::money::Currency;

/// Trial-balance totals of one currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CurrencyTotals {
    debits: i64,
    credits: i64,
    postings: u64,
}

impl CurrencyTotals {
    /// Sum of all positive posting amounts.
    pub const fn debits(&self) -> i64 {
        self.debits
    }

    /// Sum of the magnitudes of all negative posting amounts, reported as a
    /// non-negative number as in a conventional trial balance.
    pub const fn credits(&self) -> i64 {
        self.credits
    }

    /// Number of postings (database entry rows) counted, zero amounts included.
    pub const fn postings(&self) -> u64 {
        self.postings
    }

    /// Whether debits equal credits, i.e. all accounts sum to zero.
    pub const fn is_balanced(&self) -> bool {
        self.debits == self.credits
    }
}

/// Per-currency totals and per-account balances over a set of postings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Books {
    totals: BTreeMap<Currency, CurrencyTotals>,
    balances: BTreeMap<(Account, Currency), i64>,
}

impl Books {
    /// Empty books.
    pub fn new() -> Self {
        Self::default()
    }

    /// Summarises stored rows `(account, amount, currency)`, e.g. straight
    /// from `SELECT account, amount, currency FROM ledger_entries`.
    pub fn from_rows<'a>(
        rows: impl IntoIterator<Item = (&'a str, i64, &'a str)>,
    ) -> Result<Self, LedgerError> {
        let mut books = Self::new();
        for (account, amount, currency) in rows {
            books.add_row(account, amount, currency)?;
        }
        Ok(books)
    }

    /// Summarises whole transactions.
    pub fn from_transactions<'a>(
        txs: impl IntoIterator<Item = &'a Transaction>,
    ) -> Result<Self, LedgerError> {
        let mut books = Self::new();
        for tx in txs {
            books.add_transaction(tx)?;
        }
        Ok(books)
    }

    /// Adds one stored row, parsing its account and currency strings.
    pub fn add_row(
        &mut self,
        account: &str,
        amount: i64,
        currency: &str,
    ) -> Result<(), LedgerError> {
        let account: Account = account.parse()?;
        let currency = Currency::new(currency)?;
        self.add_posting(account, amount, currency)
    }

    /// Adds one posting. Refuses `i64::MIN` and any overflowing total or
    /// balance.
    pub fn add_posting(
        &mut self,
        account: Account,
        amount: i64,
        currency: Currency,
    ) -> Result<(), LedgerError> {
        if amount == i64::MIN {
            return Err(LedgerError::AmountOutOfRange { account });
        }
        let mut totals = self.totals(currency);
        if amount > 0 {
            totals.debits = totals
                .debits
                .checked_add(amount)
                .ok_or(LedgerError::Overflow)?;
        } else {
            let magnitude = amount.checked_neg().ok_or(LedgerError::Overflow)?;
            totals.credits = totals
                .credits
                .checked_add(magnitude)
                .ok_or(LedgerError::Overflow)?;
        }
        totals.postings = totals
            .postings
            .checked_add(1)
            .ok_or(LedgerError::Overflow)?;
        let balance = next_balance(self.balance(&account, currency), amount)?;
        // Commit only after every check passed.
        self.totals.insert(currency, totals);
        self.balances.insert((account, currency), balance);
        Ok(())
    }

    /// Adds every posting of a transaction, atomically.
    pub fn add_transaction(&mut self, tx: &Transaction) -> Result<(), LedgerError> {
        let currency = tx.currency();
        let mut totals = self.totals(currency);
        // A transaction's debits equal its credit magnitudes (balanced).
        let side = tx.total_debits();
        totals.debits = totals
            .debits
            .checked_add(side)
            .ok_or(LedgerError::Overflow)?;
        totals.credits = totals
            .credits
            .checked_add(side)
            .ok_or(LedgerError::Overflow)?;
        let count = u64::try_from(tx.postings().len()).map_err(|_| LedgerError::Overflow)?;
        totals.postings = totals
            .postings
            .checked_add(count)
            .ok_or(LedgerError::Overflow)?;
        // Accounts within a transaction are distinct, so each new balance
        // depends only on the current one.
        let new_balances = tx
            .postings()
            .iter()
            .map(|p| {
                Ok((
                    p.account,
                    next_balance(self.balance(&p.account, currency), p.amount)?,
                ))
            })
            .collect::<Result<Vec<_>, LedgerError>>()?;
        self.totals.insert(currency, totals);
        for (account, balance) in new_balances {
            self.balances.insert((account, currency), balance);
        }
        Ok(())
    }

    /// Currencies seen, with their totals, in currency-code order.
    pub fn currencies(&self) -> impl Iterator<Item = (Currency, CurrencyTotals)> + '_ {
        self.totals.iter().map(|(c, t)| (*c, *t))
    }

    /// Totals of one currency (all zero if it was never seen).
    pub fn totals(&self, currency: Currency) -> CurrencyTotals {
        self.totals.get(&currency).copied().unwrap_or_default()
    }

    /// Whether every currency is balanced.
    pub fn is_balanced(&self) -> bool {
        self.totals.values().all(CurrencyTotals::is_balanced)
    }

    /// Raw balance (sum of postings: debits − credits) of an account in one
    /// currency; 0 if it has none.
    pub fn balance(&self, account: &Account, currency: Currency) -> i64 {
        self.balances
            .get(&(*account, currency))
            .copied()
            .unwrap_or(0)
    }

    /// Every `(account, currency, raw balance)` seen, ordered by account then
    /// currency. Accounts whose postings cancel out are listed with 0.
    pub fn balances(&self) -> impl Iterator<Item = (Account, Currency, i64)> + '_ {
        self.balances.iter().map(|((a, c), b)| (*a, *c, *b))
    }

    /// What a rider owes: the raw balance of `rider:<id>` (debits − credits),
    /// equal to the sum of their open invoices' outstanding amounts.
    pub fn rider_receivable(&self, rider: RiderId, currency: Currency) -> i64 {
        self.balance(&Account::Rider(rider), currency)
    }

    /// What the platform owes a driver, as a positive number for the driver:
    /// `−(sum of postings on driver:<id>)` = earnings − voided earnings −
    /// payouts. Negative only if a charge was voided after its earnings had
    /// been paid out.
    pub fn driver_payable(&self, driver: DriverId, currency: Currency) -> i64 {
        // Balances never reach i64::MIN, so this never saturates.
        self.balance(&Account::Driver(driver), currency)
            .saturating_neg()
    }

    /// Fees earned by the platform, as a positive number:
    /// `−(sum of postings on platform:revenue)`.
    pub fn platform_revenue(&self, currency: Currency) -> i64 {
        self.balance(&Account::PlatformRevenue, currency)
            .saturating_neg()
    }
}

fn next_balance(current: i64, amount: i64) -> Result<i64, LedgerError> {
    current
        .checked_add(amount)
        // Keep every balance negatable (see module docs).
        .filter(|b| *b != i64::MIN)
        .ok_or(LedgerError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::ChargeSplit;

    fn cur(code: &str) -> Currency {
        Currency::new(code).unwrap()
    }

    #[test]
    fn summarises_transactions_and_rows_identically() {
        let (rider, driver) = (RiderId::generate(), DriverId::generate());
        let eur = cur("EUR");
        let usd = cur("USD");
        let txs = [
            Transaction::charge(
                eur,
                rider,
                driver,
                ChargeSplit::new(1000, 200, 800).unwrap(),
            ),
            Transaction::payment(eur, rider, 1000).unwrap(),
            Transaction::payout(eur, driver, 500).unwrap(),
            Transaction::charge(usd, rider, driver, ChargeSplit::new(300, 300, 0).unwrap()),
        ];
        let books = Books::from_transactions(&txs).unwrap();
        let rows: Vec<(String, i64, Currency)> = txs
            .iter()
            .flat_map(|tx| {
                tx.postings()
                    .iter()
                    .map(move |p| (p.account.to_string(), p.amount, tx.currency()))
            })
            .collect();
        let from_rows =
            Books::from_rows(rows.iter().map(|(a, n, c)| (a.as_str(), *n, c.as_str()))).unwrap();
        assert_eq!(books, from_rows);

        assert!(books.is_balanced());
        let t = books.totals(eur);
        assert_eq!((t.debits(), t.credits(), t.postings()), (2500, 2500, 7));
        let t = books.totals(usd);
        assert_eq!((t.debits(), t.credits(), t.postings()), (300, 300, 2));
        assert_eq!(books.totals(cur("GBP")), CurrencyTotals::default());

        assert_eq!(books.rider_receivable(rider, eur), 0);
        assert_eq!(books.rider_receivable(rider, usd), 300);
        assert_eq!(books.driver_payable(driver, eur), 300);
        assert_eq!(books.driver_payable(driver, usd), 0);
        assert_eq!(books.platform_revenue(eur), 200);
        assert_eq!(books.balance(&Account::PlatformCash, eur), 500);
        assert_eq!(
            books.currencies().map(|(c, _)| c).collect::<Vec<_>>(),
            [eur, usd]
        );
        let per_currency_sum = |c| {
            books
                .balances()
                .filter(|(_, bc, _)| *bc == c)
                .map(|(_, _, b)| i128::from(b))
                .sum::<i128>()
        };
        assert_eq!(per_currency_sum(eur), 0);
        assert_eq!(per_currency_sum(usd), 0);
    }

    #[test]
    fn unbalanced_rows_are_reported_not_refused() {
        let books = Books::from_rows([
            ("platform:cash", 10, "EUR"),
            ("platform:revenue", -9, "EUR"),
        ])
        .unwrap();
        assert!(!books.is_balanced());
        assert_eq!(books.totals(cur("EUR")).credits(), 9);
    }

    #[test]
    fn bad_rows_are_refused() {
        assert!(matches!(
            Books::from_rows([("nobody", 1, "EUR")]),
            Err(LedgerError::Account(_))
        ));
        assert!(matches!(
            Books::from_rows([("platform:cash", 1, "E")]),
            Err(LedgerError::Currency(_))
        ));
        assert_eq!(
            Books::from_rows([("platform:cash", i64::MIN, "EUR")]),
            Err(LedgerError::AmountOutOfRange {
                account: Account::PlatformCash
            })
        );
    }

    #[test]
    fn overflow_is_an_error_and_leaves_books_unchanged() {
        let eur = cur("EUR");
        let mut books = Books::new();
        books.add_row("platform:cash", i64::MAX, "EUR").unwrap();
        let before = books.clone();
        assert_eq!(
            books.add_row("platform:cash", 1, "EUR"),
            Err(LedgerError::Overflow)
        );
        // Debit total would overflow even on another account.
        assert_eq!(
            books.add_row("platform:revenue", 1, "EUR"),
            Err(LedgerError::Overflow)
        );
        assert_eq!(books, before);

        let rider = RiderId::generate();
        let mut books = Books::new();
        let big = Transaction::payment(eur, rider, i64::MAX).unwrap();
        books.add_transaction(&big).unwrap();
        let before = books.clone();
        let more = Transaction::payment(eur, rider, 1).unwrap();
        assert_eq!(books.add_transaction(&more), Err(LedgerError::Overflow));
        assert_eq!(books, before);
        assert_eq!(books.rider_receivable(rider, eur), -i64::MAX);
    }

    #[test]
    fn balances_never_reach_i64_min() {
        let mut books = Books::new();
        books.add_row("platform:cash", -i64::MAX, "EUR").unwrap();
        // The credit total would also overflow; either way it's refused.
        assert_eq!(
            books.add_row("platform:cash", -1, "EUR"),
            Err(LedgerError::Overflow)
        );
        assert_eq!(books.balance(&Account::PlatformCash, cur("EUR")), -i64::MAX);
    }
}
