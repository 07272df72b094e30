//! The double-entry ledger: postings, balanced transactions and the builders
//! for every business event.
//!
//! # Sign convention
//!
//! A [`Posting`] carries a signed amount in minor units:
//! **debit = positive, credit = negative**. The postings of a
//! [`Transaction`] sum to exactly zero, so the sum over all accounts of all
//! postings is zero as well. An account's raw balance is the sum of its
//! postings (debits − credits):
//!
//! * `rider:<id>` — positive = the rider owes the platform (receivable);
//! * `driver:<id>` — negative = the platform owes the driver; the driver's
//!   *payable* is exposed as the positive number `−(sum of postings)`;
//! * `platform:revenue` — negative = fees earned;
//! * `platform:cash` — positive = money held.
//!
//! # Event shapes (currency is per transaction)
//!
//! | event   | postings                                                       |
//! |---------|----------------------------------------------------------------|
//! | charge  | rider `+amount`, driver `−driver`, revenue `−platform`         |
//! | payment | cash `+amount`, rider `−amount`                                |
//! | payout  | driver `+amount`, cash `−amount`                               |
//! | void    | every posting of the voided charge, negated                    |
//!
//! A charge leg whose share is zero (e.g. a cancellation fee kept entirely
//! by the platform) is omitted, since zero-amount postings are refused.
//!
//! # Why unbalanced transactions are unrepresentable
//!
//! [`Transaction`]'s fields are private and every constructor (the builders,
//! [`Transaction::try_new`], [`Transaction::try_from_rows`] and
//! deserialisation) validates. A valid transaction additionally has: no
//! zero amount, no amount equal to `i64::MIN` (so negation never overflows),
//! no account twice, and a debit total that fits in `i64` (so summing its
//! postings in any order never overflows).

use std::collections::BTreeSet;

use odmu_ids::{DriverId, RiderId};
use serde::{Deserialize, Serialize};

use super::account::{Account, AccountParseError};
use super::money::{Currency, CurrencyError};
use super::parse::str_enum;

/// What business event a transaction records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TxKind {
    /// A ride or cancellation charge (`charge`).
    Charge,
    /// A rider paying an invoice (`payment`).
    Payment,
    /// Money paid out to a driver (`payout`).
    Payout,
    /// The exact reversal of a charge (`void`).
    Void,
}

str_enum!(TxKind, "transaction kind", {
    Charge => "charge",
    Payment => "payment",
    Payout => "payout",
    Void => "void",
});

/// One leg of a transaction: a signed amount on one account.
/// Debit is positive, credit is negative (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Posting {
    /// The account the amount is booked on.
    pub account: Account,
    /// Minor units; debit > 0, credit < 0.
    pub amount: i64,
}

impl Posting {
    /// Creates a posting. Nothing is validated here; [`Transaction`] does it.
    pub const fn new(account: Account, amount: i64) -> Self {
        Self { account, amount }
    }

    /// Whether this posting is a debit (positive amount).
    pub const fn is_debit(&self) -> bool {
        self.amount > 0
    }

    /// Whether this posting is a credit (negative amount).
    pub const fn is_credit(&self) -> bool {
        self.amount < 0
    }
}

/// Why a transaction (or a book summary row) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// No postings were given.
    #[error("a transaction needs postings")]
    Empty,
    /// A posting has amount zero.
    #[error("posting on {account} has a zero amount")]
    ZeroAmount {
        /// The offending posting's account.
        account: Account,
    },
    /// A posting has amount `i64::MIN`, whose negation does not fit in `i64`.
    #[error("posting on {account} has an amount out of range")]
    AmountOutOfRange {
        /// The offending posting's account.
        account: Account,
    },
    /// The same account appears in two postings of one transaction.
    #[error("account {account} appears more than once")]
    DuplicateAccount {
        /// The repeated account.
        account: Account,
    },
    /// Debits and credits differ.
    #[error("unbalanced postings: debits {debits} != credits {credits}")]
    Unbalanced {
        /// Sum of the positive amounts.
        debits: i64,
        /// Sum of the magnitudes of the negative amounts.
        credits: i64,
    },
    /// A sum would leave the `i64` range.
    #[error("amount overflow")]
    Overflow,
    /// Rows of one transaction name different currencies.
    #[error("mixed currencies in one transaction: {expected} and {found}")]
    MixedCurrency {
        /// The currency of the first row.
        expected: Currency,
        /// The first differing currency.
        found: Currency,
    },
    /// A charge, payment or payout amount is zero or negative.
    #[error("amount must be positive, got {amount}")]
    NonPositiveAmount {
        /// The rejected amount.
        amount: i64,
    },
    /// A share of a charge split is negative.
    #[error("{field} share must not be negative, got {amount}")]
    NegativeShare {
        /// `"platform"` or `"driver"`.
        field: &'static str,
        /// The rejected share.
        amount: i64,
    },
    /// `platform + driver != amount`.
    #[error("split does not add up: platform {platform} + driver {driver} != amount {amount}")]
    SplitMismatch {
        /// The charged amount.
        amount: i64,
        /// The platform's share.
        platform: i64,
        /// The driver's share.
        driver: i64,
    },
    /// Only charges can be voided.
    #[error("only a charge can be voided, not a {kind}")]
    NotACharge {
        /// The kind of the transaction that was asked to be voided.
        kind: TxKind,
    },
    /// A currency string was malformed.
    #[error(transparent)]
    Currency(#[from] CurrencyError),
    /// An account string was malformed.
    #[error(transparent)]
    Account(#[from] AccountParseError),
}

/// A validated split of a charge: `amount = platform + driver`,
/// `amount > 0`, both shares `>= 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChargeSplit {
    amount: i64,
    platform: i64,
    driver: i64,
}

impl ChargeSplit {
    /// Validates a split of `amount` into the platform's and the driver's
    /// shares.
    pub fn new(amount: i64, platform: i64, driver: i64) -> Result<Self, LedgerError> {
        if amount <= 0 {
            return Err(LedgerError::NonPositiveAmount { amount });
        }
        if platform < 0 {
            return Err(LedgerError::NegativeShare {
                field: "platform",
                amount: platform,
            });
        }
        if driver < 0 {
            return Err(LedgerError::NegativeShare {
                field: "driver",
                amount: driver,
            });
        }
        // Both shares are >= 0, so an overflowing sum is certainly != amount.
        if platform.checked_add(driver) != Some(amount) {
            return Err(LedgerError::SplitMismatch {
                amount,
                platform,
                driver,
            });
        }
        Ok(Self {
            amount,
            platform,
            driver,
        })
    }

    /// The total charged to the rider.
    pub const fn amount(&self) -> i64 {
        self.amount
    }

    /// The platform's share (revenue).
    pub const fn platform(&self) -> i64 {
        self.platform
    }

    /// The driver's share (earnings).
    pub const fn driver(&self) -> i64 {
        self.driver
    }
}

/// A balanced set of postings in one currency, tagged with its business
/// kind. See the module docs for the guarantees every value upholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TransactionRepr")]
pub struct Transaction {
    kind: TxKind,
    currency: Currency,
    postings: Vec<Posting>,
    // Cached sum of the debits (== sum of credit magnitudes); fits in i64 by
    // construction. Derived, so not part of the wire form.
    #[serde(skip_serializing)]
    debits: i64,
}

/// Wire form; deserialisation goes through [`Transaction::try_new`].
#[derive(Deserialize)]
struct TransactionRepr {
    kind: TxKind,
    currency: Currency,
    postings: Vec<Posting>,
}

impl TryFrom<TransactionRepr> for Transaction {
    type Error = LedgerError;

    fn try_from(repr: TransactionRepr) -> Result<Self, Self::Error> {
        Transaction::try_new(repr.kind, repr.currency, repr.postings)
    }
}

impl Transaction {
    /// Validates arbitrary postings: refuses an empty set, zero amounts,
    /// `i64::MIN` amounts, repeated accounts, overflowing totals and
    /// unbalanced sets. Postings keep the given order.
    ///
    /// The kind is taken as given; the shape of each kind is only
    /// guaranteed by the dedicated builders.
    pub fn try_new(
        kind: TxKind,
        currency: Currency,
        postings: impl IntoIterator<Item = Posting>,
    ) -> Result<Self, LedgerError> {
        let postings: Vec<Posting> = postings.into_iter().collect();
        if postings.is_empty() {
            return Err(LedgerError::Empty);
        }
        let mut seen = BTreeSet::new();
        let (mut debits, mut credits) = (0_i64, 0_i64);
        for p in &postings {
            if p.amount == 0 {
                return Err(LedgerError::ZeroAmount { account: p.account });
            }
            if p.amount == i64::MIN {
                return Err(LedgerError::AmountOutOfRange { account: p.account });
            }
            if !seen.insert(p.account) {
                return Err(LedgerError::DuplicateAccount { account: p.account });
            }
            // Totals per side (not a running net) so that the "fits in i64"
            // guarantee holds for every summation order later on.
            if p.amount > 0 {
                debits = debits.checked_add(p.amount).ok_or(LedgerError::Overflow)?;
            } else {
                let magnitude = p.amount.checked_neg().ok_or(LedgerError::Overflow)?;
                credits = credits
                    .checked_add(magnitude)
                    .ok_or(LedgerError::Overflow)?;
            }
        }
        if debits != credits {
            return Err(LedgerError::Unbalanced { debits, credits });
        }
        Ok(Self {
            kind,
            currency,
            postings,
            debits,
        })
    }

    /// Rebuilds a transaction from stored rows `(account, amount, currency)`,
    /// e.g. the entries of one transaction read back from the database.
    /// Refuses malformed accounts or currencies, rows in different
    /// currencies, and everything [`Transaction::try_new`] refuses.
    pub fn try_from_rows<'a>(
        kind: TxKind,
        rows: impl IntoIterator<Item = (&'a str, i64, &'a str)>,
    ) -> Result<Self, LedgerError> {
        let mut currency: Option<Currency> = None;
        let mut postings = Vec::new();
        for (account, amount, code) in rows {
            let found = Currency::new(code)?;
            match currency {
                None => currency = Some(found),
                Some(expected) if expected != found => {
                    return Err(LedgerError::MixedCurrency { expected, found });
                }
                Some(_) => {}
            }
            postings.push(Posting::new(account.parse()?, amount));
        }
        let currency = currency.ok_or(LedgerError::Empty)?;
        Self::try_new(kind, currency, postings)
    }

    /// A ride or cancellation charge: debit the rider by `amount`, credit
    /// the driver by the driver's share and revenue by the platform's share.
    /// Zero shares produce no posting. Infallible: the split is validated.
    #[must_use]
    pub fn charge(
        currency: Currency,
        rider: RiderId,
        driver: DriverId,
        split: ChargeSplit,
    ) -> Self {
        // Shares are >= 0, so negation cannot saturate; the explicit form
        // keeps the crate free of unchecked arithmetic.
        let legs = [
            Posting::new(Account::Rider(rider), split.amount),
            Posting::new(Account::Driver(driver), split.driver.saturating_neg()),
            Posting::new(Account::PlatformRevenue, split.platform.saturating_neg()),
        ];
        Self {
            kind: TxKind::Charge,
            currency,
            // amount > 0 and shares are in 0..=amount, so every kept leg is
            // non-zero, not i64::MIN, on distinct accounts, and balanced.
            postings: legs.into_iter().filter(|p| p.amount != 0).collect(),
            debits: split.amount,
        }
    }

    /// A rider's payment of `amount` (> 0): debit cash, credit the rider.
    pub fn payment(currency: Currency, rider: RiderId, amount: i64) -> Result<Self, LedgerError> {
        let credit = Self::positive(amount)?;
        Ok(Self {
            kind: TxKind::Payment,
            currency,
            postings: vec![
                Posting::new(Account::PlatformCash, amount),
                Posting::new(Account::Rider(rider), credit),
            ],
            debits: amount,
        })
    }

    /// A payout of `amount` (> 0) to a driver: debit the driver, credit cash.
    /// Whether the driver's balance covers it is `invoice::validate_payout`'s
    /// concern, since the transaction alone cannot know the balance.
    pub fn payout(currency: Currency, driver: DriverId, amount: i64) -> Result<Self, LedgerError> {
        let credit = Self::positive(amount)?;
        Ok(Self {
            kind: TxKind::Payout,
            currency,
            postings: vec![
                Posting::new(Account::Driver(driver), amount),
                Posting::new(Account::PlatformCash, credit),
            ],
            debits: amount,
        })
    }

    /// The void of a charge: the exact reverse of `charge`. Refuses any
    /// other kind, since only charges are voidable.
    pub fn void_of(charge: &Transaction) -> Result<Self, LedgerError> {
        match charge.kind {
            TxKind::Charge => Ok(charge.reverse()),
            kind => Err(LedgerError::NotACharge { kind }),
        }
    }

    /// The reversing entry of any transaction: same currency and accounts,
    /// every amount negated, kind [`TxKind::Void`]. Reversing twice gives
    /// back the original postings. Infallible: amounts are never `i64::MIN`.
    #[must_use]
    pub fn reverse(&self) -> Self {
        Self {
            kind: TxKind::Void,
            currency: self.currency,
            // Cannot overflow: i64::MIN is refused at construction. The
            // saturating form just keeps this free of a panic path.
            postings: self
                .postings
                .iter()
                .map(|p| Posting::new(p.account, p.amount.saturating_neg()))
                .collect(),
            // Debits and credit magnitudes are equal, so swapping keeps it.
            debits: self.debits,
        }
    }

    /// The business kind.
    pub const fn kind(&self) -> TxKind {
        self.kind
    }

    /// The single currency of every posting.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// The postings, in construction order (builders: debits first).
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }

    /// Sum of the debits, equal to the sum of the credits' magnitudes.
    pub const fn total_debits(&self) -> i64 {
        self.debits
    }

    /// The amount posted on `account` (0 if the account is not involved).
    pub fn amount_for(&self, account: &Account) -> i64 {
        self.postings
            .iter()
            .find(|p| &p.account == account)
            .map_or(0, |p| p.amount)
    }

    fn positive(amount: i64) -> Result<i64, LedgerError> {
        if amount <= 0 {
            return Err(LedgerError::NonPositiveAmount { amount });
        }
        // Negation of a positive i64 always fits; checked for uniformity.
        amount.checked_neg().ok_or(LedgerError::Overflow)
    }
}

#[cfg(test)]
mod tests;
