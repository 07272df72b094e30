//! Invoice domain: the status state machine and the validation of payments
//! and payouts. Pure functions; the service loads the current state, asks
//! these functions, then persists the ledger transaction and the new status
//! together.
//!
//! ```text
//!        pay           void
//! paid <----- open -----> void        (paid and void are terminal)
//! ```
//!
//! Voiding a paid invoice is refused ([`TransitionError::AlreadyPaid`],
//! HTTP 409), as in common billing systems: once money was collected the
//! correct operation is a refund (a separate, money-moving flow, out of
//! scope), not erasing the charge.
//!
//! Suggested HTTP mapping (also available as `http_status()`): state
//! conflicts → 409, request values that can never succeed for this state →
//! 422.

use super::parse::str_enum;

/// Lifecycle status of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InvoiceStatus {
    /// Charged and awaiting payment (`open`); counts as receivable.
    Open,
    /// Paid in full (`paid`); terminal.
    Paid,
    /// Cancelled before payment; its charge was reversed (`void`); terminal.
    Void,
}

str_enum!(InvoiceStatus, "invoice status", {
    Open => "open",
    Paid => "paid",
    Void => "void",
});

/// A status transition that the state machine does not allow. Both variants
/// mean the invoice is no longer open: HTTP 409 Conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TransitionError {
    /// The invoice has already been paid.
    #[error("invoice is already paid")]
    AlreadyPaid,
    /// The invoice has already been voided.
    #[error("invoice is already void")]
    AlreadyVoid,
}

impl TransitionError {
    /// Suggested HTTP status: always 409 Conflict.
    pub const fn http_status(&self) -> u16 {
        409
    }
}

impl InvoiceStatus {
    /// Whether the invoice still awaits payment.
    pub const fn is_open(self) -> bool {
        matches!(self, InvoiceStatus::Open)
    }

    /// The status after a payment: `open → paid`.
    pub const fn pay(self) -> Result<Self, TransitionError> {
        match self {
            InvoiceStatus::Open => Ok(InvoiceStatus::Paid),
            InvoiceStatus::Paid => Err(TransitionError::AlreadyPaid),
            InvoiceStatus::Void => Err(TransitionError::AlreadyVoid),
        }
    }

    /// The status after a void: `open → void`. A paid invoice cannot be
    /// voided (it would need a refund; see module docs).
    pub const fn void(self) -> Result<Self, TransitionError> {
        match self {
            InvoiceStatus::Open => Ok(InvoiceStatus::Void),
            InvoiceStatus::Paid => Err(TransitionError::AlreadyPaid),
            InvoiceStatus::Void => Err(TransitionError::AlreadyVoid),
        }
    }

    /// Amount still owed on an invoice of `amount` in this status: all of it
    /// while open (payments are all-or-nothing), nothing once paid or void.
    pub const fn outstanding(self, amount: i64) -> i64 {
        match self {
            InvoiceStatus::Open => amount,
            InvoiceStatus::Paid | InvoiceStatus::Void => 0,
        }
    }
}

/// Whether an invoice in `status` can be paid.
pub const fn can_pay(status: InvoiceStatus) -> bool {
    status.pay().is_ok()
}

/// Whether an invoice in `status` can be voided.
pub const fn can_void(status: InvoiceStatus) -> bool {
    status.void().is_ok()
}

/// How a rider paid. Both post the same ledger transaction (debit
/// `platform:cash`, credit the rider), per the ledger contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PaymentMethod {
    /// Card payment (`card`).
    Card,
    /// Cash payment (`cash`).
    Cash,
}

str_enum!(PaymentMethod, "payment method", {
    Card => "card",
    Cash => "cash",
});

/// What an invoice charges for. Both post a ledger `charge` transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChargeKind {
    /// A completed ride (`ride`).
    Ride,
    /// A cancellation fee (`cancellation`).
    Cancellation,
}

str_enum!(ChargeKind, "charge kind", {
    Ride => "ride",
    Cancellation => "cancellation",
});

/// Why a payment of an invoice was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum PaymentError {
    /// The invoice is not open (HTTP 409).
    #[error(transparent)]
    NotOpen(#[from] TransitionError),
    /// The amount is not exactly the outstanding amount (HTTP 422). Partial
    /// payments and overpayments are not supported.
    #[error("payment must equal the outstanding amount {expected}, got {got}")]
    WrongAmount {
        /// The outstanding amount, in minor units.
        expected: i64,
        /// The amount offered.
        got: i64,
    },
}

impl PaymentError {
    /// Suggested HTTP status: 409 for a non-open invoice, 422 for a wrong
    /// amount.
    pub const fn http_status(&self) -> u16 {
        match self {
            PaymentError::NotOpen(_) => 409,
            PaymentError::WrongAmount { .. } => 422,
        }
    }
}

/// Checks a payment of `amount` against an invoice of `invoice_amount` in
/// `status`, and returns the status to store afterwards (`paid`).
///
/// The status is checked first: paying a settled invoice is a conflict
/// whatever the amount.
pub const fn validate_payment(
    status: InvoiceStatus,
    invoice_amount: i64,
    amount: i64,
) -> Result<InvoiceStatus, PaymentError> {
    let next = match status.pay() {
        Ok(next) => next,
        Err(e) => return Err(PaymentError::NotOpen(e)),
    };
    let expected = status.outstanding(invoice_amount);
    if amount != expected {
        return Err(PaymentError::WrongAmount {
            expected,
            got: amount,
        });
    }
    Ok(next)
}

/// Why a payout to a driver was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum PayoutError {
    /// The amount is zero or negative (HTTP 422).
    #[error("payout amount must be positive, got {amount}")]
    NonPositiveAmount {
        /// The rejected amount.
        amount: i64,
    },
    /// The amount exceeds what the platform owes the driver (HTTP 409: the
    /// same request may succeed once more earnings accrue).
    #[error("payout of {requested} exceeds the driver's balance {balance}")]
    ExceedsBalance {
        /// The driver's current payable balance (may be ≤ 0).
        balance: i64,
        /// The amount requested.
        requested: i64,
    },
}

impl PayoutError {
    /// Suggested HTTP status: 422 for a non-positive amount, 409 when the
    /// balance does not cover it.
    pub const fn http_status(&self) -> u16 {
        match self {
            PayoutError::NonPositiveAmount { .. } => 422,
            PayoutError::ExceedsBalance { .. } => 409,
        }
    }
}

/// Checks a payout of `amount` against the driver's payable `balance`
/// (`Books::driver_payable`): requires `0 < amount <= balance`.
pub const fn validate_payout(balance: i64, amount: i64) -> Result<(), PayoutError> {
    if amount <= 0 {
        return Err(PayoutError::NonPositiveAmount { amount });
    }
    if amount > balance {
        return Err(PayoutError::ExceedsBalance {
            balance,
            requested: amount,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip() {
        for s in InvoiceStatus::ALL {
            assert_eq!(s.as_str().parse::<InvoiceStatus>().unwrap(), *s);
        }
        for m in PaymentMethod::ALL {
            assert_eq!(m.to_string().parse::<PaymentMethod>().unwrap(), *m);
        }
        for k in ChargeKind::ALL {
            assert_eq!(k.as_str().parse::<ChargeKind>().unwrap(), *k);
        }
        assert_eq!(
            InvoiceStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            ["open", "paid", "void"]
        );
        assert_eq!(PaymentMethod::Card.as_str(), "card");
        assert_eq!(PaymentMethod::Cash.as_str(), "cash");
        assert_eq!(ChargeKind::Ride.as_str(), "ride");
        assert_eq!(ChargeKind::Cancellation.as_str(), "cancellation");
        for bad in ["", "OPEN", "Open", "closed", "refunded", "open "] {
            assert!(bad.parse::<InvoiceStatus>().is_err(), "{bad:?}");
        }
        assert!("cheque".parse::<PaymentMethod>().is_err());
        assert!("no_show".parse::<ChargeKind>().is_err());
    }

    #[test]
    fn state_machine() {
        use InvoiceStatus::*;
        assert_eq!(Open.pay(), Ok(Paid));
        assert_eq!(Open.void(), Ok(Void));
        assert_eq!(Paid.pay(), Err(TransitionError::AlreadyPaid));
        assert_eq!(Paid.void(), Err(TransitionError::AlreadyPaid));
        assert_eq!(Void.pay(), Err(TransitionError::AlreadyVoid));
        assert_eq!(Void.void(), Err(TransitionError::AlreadyVoid));
        assert!(can_pay(Open) && can_void(Open));
        assert!(!can_pay(Paid) && !can_void(Paid));
        assert!(!can_pay(Void) && !can_void(Void));
        assert_eq!(Open.outstanding(500), 500);
        assert_eq!(Paid.outstanding(500), 0);
        assert_eq!(Void.outstanding(500), 0);
        assert_eq!(TransitionError::AlreadyPaid.http_status(), 409);
    }

    #[test]
    fn payment_validation() {
        use InvoiceStatus::*;
        assert_eq!(validate_payment(Open, 1000, 1000), Ok(Paid));
        let wrong = validate_payment(Open, 1000, 999).unwrap_err();
        assert_eq!(
            wrong,
            PaymentError::WrongAmount {
                expected: 1000,
                got: 999
            }
        );
        assert_eq!(wrong.http_status(), 422);
        assert!(matches!(
            validate_payment(Open, 1000, 1001),
            Err(PaymentError::WrongAmount { expected: 1000, .. })
        ));
        assert!(matches!(
            validate_payment(Open, 1000, i64::MIN),
            Err(PaymentError::WrongAmount { .. })
        ));
        // Status wins over amount.
        let paid = validate_payment(Paid, 1000, 1000).unwrap_err();
        assert_eq!(paid, PaymentError::NotOpen(TransitionError::AlreadyPaid));
        assert_eq!(paid.http_status(), 409);
        assert_eq!(
            validate_payment(Void, 1000, 5),
            Err(PaymentError::NotOpen(TransitionError::AlreadyVoid))
        );
    }

    #[test]
    fn payout_validation() {
        assert_eq!(validate_payout(100, 100), Ok(()));
        assert_eq!(validate_payout(100, 1), Ok(()));
        assert_eq!(validate_payout(i64::MAX, i64::MAX), Ok(()));
        for amount in [0, -1, i64::MIN] {
            let e = validate_payout(100, amount).unwrap_err();
            assert_eq!(e, PayoutError::NonPositiveAmount { amount });
            assert_eq!(e.http_status(), 422);
        }
        let e = validate_payout(100, 101).unwrap_err();
        assert_eq!(
            e,
            PayoutError::ExceedsBalance {
                balance: 100,
                requested: 101
            }
        );
        assert_eq!(e.http_status(), 409);
        assert!(matches!(
            validate_payout(-50, 1),
            Err(PayoutError::ExceedsBalance { balance: -50, .. })
        ));
        assert!(validate_payout(0, 1).is_err());
    }
}
