//! The ledger's unit tests: exact postings of each builder, and every refusal.

use super::*;

fn eur() -> Currency {
    Currency::new("EUR").unwrap()
}

fn ids() -> (RiderId, DriverId) {
    (RiderId::generate(), DriverId::generate())
}

fn sum(tx: &Transaction) -> i128 {
    tx.postings().iter().map(|p| i128::from(p.amount)).sum()
}

#[test]
fn tx_kind_strings_round_trip() {
    for kind in TxKind::ALL {
        assert_eq!(kind.as_str().parse::<TxKind>().unwrap(), *kind);
        assert_eq!(kind.to_string(), kind.as_str());
    }
    assert_eq!(
        TxKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        ["charge", "payment", "payout", "void"]
    );
    assert!("Charge".parse::<TxKind>().is_err());
    assert!("refund".parse::<TxKind>().is_err());
}

#[test]
fn charge_postings_are_exact() {
    let (rider, driver) = ids();
    let tx = Transaction::charge(
        eur(),
        rider,
        driver,
        ChargeSplit::new(1000, 250, 750).unwrap(),
    );
    assert_eq!(tx.kind(), TxKind::Charge);
    assert_eq!(tx.currency(), eur());
    assert_eq!(
        tx.postings(),
        [
            Posting::new(Account::Rider(rider), 1000),
            Posting::new(Account::Driver(driver), -750),
            Posting::new(Account::PlatformRevenue, -250),
        ]
    );
    assert_eq!(tx.total_debits(), 1000);
    assert_eq!(sum(&tx), 0);
    assert_eq!(tx.amount_for(&Account::PlatformCash), 0);
}

#[test]
fn charge_omits_zero_shares() {
    let (rider, driver) = ids();
    let all_platform =
        Transaction::charge(eur(), rider, driver, ChargeSplit::new(500, 500, 0).unwrap());
    assert_eq!(
        all_platform.postings(),
        [
            Posting::new(Account::Rider(rider), 500),
            Posting::new(Account::PlatformRevenue, -500),
        ]
    );
    let all_driver =
        Transaction::charge(eur(), rider, driver, ChargeSplit::new(500, 0, 500).unwrap());
    assert_eq!(
        all_driver.postings(),
        [
            Posting::new(Account::Rider(rider), 500),
            Posting::new(Account::Driver(driver), -500),
        ]
    );
}

#[test]
fn builders_agree_with_try_new() {
    let (rider, driver) = ids();
    let txs = [
        Transaction::charge(eur(), rider, driver, ChargeSplit::new(1, 0, 1).unwrap()),
        Transaction::charge(
            eur(),
            rider,
            driver,
            ChargeSplit::new(i64::MAX, i64::MAX / 2, i64::MAX - i64::MAX / 2).unwrap(),
        ),
        Transaction::payment(eur(), rider, i64::MAX).unwrap(),
        Transaction::payout(eur(), driver, 1).unwrap(),
    ];
    for tx in txs {
        let rebuilt = Transaction::try_new(tx.kind(), tx.currency(), tx.postings().to_vec());
        assert_eq!(rebuilt.as_ref(), Ok(&tx));
        let rows: Vec<(String, i64)> = tx
            .postings()
            .iter()
            .map(|p| (p.account.to_string(), p.amount))
            .collect();
        let from_rows = Transaction::try_from_rows(
            tx.kind(),
            rows.iter().map(|(a, n)| (a.as_str(), *n, "EUR")),
        );
        assert_eq!(from_rows, Ok(tx));
    }
}

#[test]
fn payment_postings_are_exact() {
    let (rider, _) = ids();
    let tx = Transaction::payment(eur(), rider, 1234).unwrap();
    assert_eq!(tx.kind(), TxKind::Payment);
    assert_eq!(
        tx.postings(),
        [
            Posting::new(Account::PlatformCash, 1234),
            Posting::new(Account::Rider(rider), -1234),
        ]
    );
}

#[test]
fn payout_postings_are_exact() {
    let (_, driver) = ids();
    let tx = Transaction::payout(eur(), driver, 99).unwrap();
    assert_eq!(tx.kind(), TxKind::Payout);
    assert_eq!(
        tx.postings(),
        [
            Posting::new(Account::Driver(driver), 99),
            Posting::new(Account::PlatformCash, -99),
        ]
    );
}

#[test]
fn void_is_exact_reverse_of_charge() {
    let (rider, driver) = ids();
    let charge = Transaction::charge(
        eur(),
        rider,
        driver,
        ChargeSplit::new(1000, 200, 800).unwrap(),
    );
    let void = Transaction::void_of(&charge).unwrap();
    assert_eq!(void.kind(), TxKind::Void);
    assert_eq!(void.currency(), charge.currency());
    assert_eq!(
        void.postings(),
        [
            Posting::new(Account::Rider(rider), -1000),
            Posting::new(Account::Driver(driver), 800),
            Posting::new(Account::PlatformRevenue, 200),
        ]
    );
    assert_eq!(void.total_debits(), 1000);
    assert_eq!(sum(&void), 0);
}

#[test]
fn reverse_of_reverse_restores_postings() {
    let (rider, driver) = ids();
    let originals = [
        Transaction::charge(
            eur(),
            rider,
            driver,
            ChargeSplit::new(1000, 1, 999).unwrap(),
        ),
        Transaction::payment(eur(), rider, i64::MAX).unwrap(),
        Transaction::payout(eur(), driver, 7).unwrap(),
    ];
    for original in originals {
        let twice = original.reverse().reverse();
        assert_eq!(twice.postings(), original.postings());
        assert_eq!(twice.currency(), original.currency());
        assert_eq!(twice.total_debits(), original.total_debits());
        // The kind records the event, not the shape: a reversal is a void.
        assert_eq!(twice.kind(), TxKind::Void);
    }
}

#[test]
fn only_charges_can_be_voided() {
    let (rider, driver) = ids();
    let payment = Transaction::payment(eur(), rider, 5).unwrap();
    assert_eq!(
        Transaction::void_of(&payment),
        Err(LedgerError::NotACharge {
            kind: TxKind::Payment
        })
    );
    let charge = Transaction::charge(eur(), rider, driver, ChargeSplit::new(5, 1, 4).unwrap());
    let void = Transaction::void_of(&charge).unwrap();
    assert_eq!(
        Transaction::void_of(&void),
        Err(LedgerError::NotACharge { kind: TxKind::Void })
    );
}

#[test]
fn split_validation() {
    use LedgerError::*;
    assert_eq!(
        ChargeSplit::new(0, 0, 0),
        Err(NonPositiveAmount { amount: 0 })
    );
    assert_eq!(
        ChargeSplit::new(-5, -5, 0),
        Err(NonPositiveAmount { amount: -5 })
    );
    assert_eq!(
        ChargeSplit::new(10, -1, 11),
        Err(NegativeShare {
            field: "platform",
            amount: -1
        })
    );
    assert_eq!(
        ChargeSplit::new(10, 11, -1),
        Err(NegativeShare {
            field: "driver",
            amount: -1
        })
    );
    assert_eq!(
        ChargeSplit::new(10, 3, 6),
        Err(SplitMismatch {
            amount: 10,
            platform: 3,
            driver: 6
        })
    );
    // platform + driver overflows i64: a mismatch, not a panic.
    assert!(matches!(
        ChargeSplit::new(i64::MAX, i64::MAX, 1),
        Err(SplitMismatch { .. })
    ));
    assert!(matches!(
        ChargeSplit::new(i64::MAX, i64::MAX, i64::MAX),
        Err(SplitMismatch { .. })
    ));
    assert!(ChargeSplit::new(i64::MAX, i64::MAX, 0).is_ok());
    assert!(matches!(
        ChargeSplit::new(i64::MIN, 0, 0),
        Err(NonPositiveAmount { .. })
    ));
}

#[test]
fn payment_and_payout_refuse_non_positive() {
    let (rider, driver) = ids();
    for amount in [0, -1, i64::MIN] {
        assert_eq!(
            Transaction::payment(eur(), rider, amount),
            Err(LedgerError::NonPositiveAmount { amount })
        );
        assert_eq!(
            Transaction::payout(eur(), driver, amount),
            Err(LedgerError::NonPositiveAmount { amount })
        );
    }
}

#[test]
fn try_new_refusals() {
    let (rider, driver) = ids();
    let r = Account::Rider(rider);
    let d = Account::Driver(driver);
    let c = Account::PlatformCash;
    let p = Posting::new;
    use LedgerError::{
        AmountOutOfRange, DuplicateAccount, Empty, Overflow, Unbalanced, ZeroAmount,
    };

    assert_eq!(Transaction::try_new(TxKind::Charge, eur(), []), Err(Empty));
    assert_eq!(
        Transaction::try_new(TxKind::Charge, eur(), [p(r, 0), p(d, 0)]),
        Err(ZeroAmount { account: r })
    );
    assert_eq!(
        Transaction::try_new(TxKind::Charge, eur(), [p(r, 5), p(d, -4)]),
        Err(Unbalanced {
            debits: 5,
            credits: 4
        })
    );
    assert_eq!(
        Transaction::try_new(TxKind::Charge, eur(), [p(r, 5)]),
        Err(Unbalanced {
            debits: 5,
            credits: 0
        })
    );
    assert_eq!(
        Transaction::try_new(TxKind::Charge, eur(), [p(r, 5), p(r, -5)]),
        Err(DuplicateAccount { account: r })
    );
    // Net sum is 0 but the debit side alone exceeds i64::MAX.
    assert_eq!(
        Transaction::try_new(
            TxKind::Charge,
            eur(),
            [p(r, i64::MAX), p(d, 1), p(c, i64::MIN)]
        ),
        Err(Overflow)
    );
    assert_eq!(
        Transaction::try_new(
            TxKind::Charge,
            eur(),
            [p(r, i64::MIN), p(d, i64::MAX), p(c, 1)]
        ),
        Err(AmountOutOfRange { account: r })
    );
    assert_eq!(
        Transaction::try_new(
            TxKind::Charge,
            eur(),
            [p(r, i64::MAX), p(d, -i64::MAX), p(c, -1)]
        ),
        Err(Overflow)
    );
    // The extreme but representable case is accepted.
    let max =
        Transaction::try_new(TxKind::Payment, eur(), [p(c, i64::MAX), p(r, -i64::MAX)]).unwrap();
    assert_eq!(max.reverse().postings()[0].amount, -i64::MAX);
}

#[test]
fn try_from_rows_refusals() {
    let rider = Account::Rider(RiderId::generate()).to_string();
    let rider = rider.as_str();
    assert_eq!(
        Transaction::try_from_rows(
            TxKind::Payment,
            [(rider, -5, "EUR"), ("platform:cash", 5, "USD")]
        ),
        Err(LedgerError::MixedCurrency {
            expected: eur(),
            found: Currency::new("USD").unwrap()
        })
    );
    assert!(matches!(
        Transaction::try_from_rows(
            TxKind::Payment,
            [(rider, -5, "eur"), ("platform:cash", 5, "eur")]
        ),
        Err(LedgerError::Currency(_))
    ));
    assert!(matches!(
        Transaction::try_from_rows(
            TxKind::Payment,
            [("rider:x", -5, "EUR"), ("platform:cash", 5, "EUR")]
        ),
        Err(LedgerError::Account(_))
    ));
    assert_eq!(
        Transaction::try_from_rows(TxKind::Payment, []),
        Err(LedgerError::Empty)
    );
}

#[test]
fn deserialisation_goes_through_validation() {
    let (rider, _) = ids();
    let good = TransactionRepr {
        kind: TxKind::Payment,
        currency: eur(),
        postings: vec![
            Posting::new(Account::PlatformCash, 10),
            Posting::new(Account::Rider(rider), -10),
        ],
    };
    assert!(Transaction::try_from(good).is_ok());
    let bad = TransactionRepr {
        kind: TxKind::Payment,
        currency: eur(),
        postings: vec![
            Posting::new(Account::PlatformCash, 10),
            Posting::new(Account::Rider(rider), -9),
        ],
    };
    assert!(matches!(
        Transaction::try_from(bad),
        Err(LedgerError::Unbalanced { .. })
    ));
}
