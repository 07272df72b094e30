//! Property tests: random sequences of billing operations simulated in
//! memory with the domain types, checking the ledger invariants after every
//! step; plus "never panics" tests on arbitrary extreme inputs.
//!
//! The model's expectations are computed in `i128`, independently of the
//! ledger's checked `i64` arithmetic.

use std::collections::BTreeMap;

use odmu_ids::{DriverId, RiderId};
use proptest::prelude::*;

use super::account::Account;
use super::books::Books;
use super::invoice::{
    ChargeKind, InvoiceStatus, PaymentError, PaymentMethod, PayoutError, TransitionError,
    validate_payment, validate_payout,
};
use super::ledger::{ChargeSplit, LedgerError, Posting, Transaction, TxKind};
use super::money::Currency;

const RIDERS: usize = 3;
const DRIVERS: usize = 3;
const CURRENCIES: [&str; 2] = ["EUR", "USD"];

#[derive(Debug, Clone)]
enum Op {
    Charge {
        rider: usize,
        driver: usize,
        currency: usize,
        amount: i64,
        platform_permille: i64,
        kind: ChargeKind,
    },
    Pay {
        pick: usize,
        method: PaymentMethod,
        wrong_by: i64,
    },
    Void {
        pick: usize,
    },
    Payout {
        driver: usize,
        currency: usize,
        // Up to 1200‰ of the balance, so over-balance requests happen too.
        permille: i64,
    },
}

fn amount_strategy() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => 1_i64..=1_000_000,
        1 => (i64::MAX - 1_000)..=i64::MAX,
        1 => 1_i64..=i64::MAX,
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (
            0..RIDERS,
            0..DRIVERS,
            0..CURRENCIES.len(),
            amount_strategy(),
            0_i64..=1000,
            prop::sample::select(ChargeKind::ALL),
        )
            .prop_map(|(rider, driver, currency, amount, platform_permille, kind)| Op::Charge {
                rider,
                driver,
                currency,
                amount,
                platform_permille,
                kind,
            }),
        3 => (
            any::<usize>(),
            prop::sample::select(PaymentMethod::ALL),
            prop_oneof![6 => Just(0_i64), 1 => any::<i64>()],
        )
            .prop_map(|(pick, method, wrong_by)| Op::Pay { pick, method, wrong_by }),
        2 => any::<usize>().prop_map(|pick| Op::Void { pick }),
        2 => (0..DRIVERS, 0..CURRENCIES.len(), 0_i64..=1200)
            .prop_map(|(driver, currency, permille)| Op::Payout { driver, currency, permille }),
    ]
}

struct Invoice {
    // Kind and method do not change the postings (per the ledger contract);
    // they are kept to check the invoice record stays coherent.
    kind: ChargeKind,
    paid_with: Option<PaymentMethod>,
    rider: usize,
    driver: usize,
    currency: Currency,
    split: ChargeSplit,
    status: InvoiceStatus,
    charge: Transaction,
}

struct Sim {
    riders: Vec<RiderId>,
    drivers: Vec<DriverId>,
    currencies: Vec<Currency>,
    invoices: Vec<Invoice>,
    payouts: BTreeMap<(usize, Currency), i128>,
    txs: Vec<Transaction>,
    books: Books,
}

/// `value × permille / 1000`, saturating at `i64::MAX` (payout requests of
/// up to 120% of a huge balance).
fn scaled(value: i64, permille: i64) -> i64 {
    i64::try_from(i128::from(value) * i128::from(permille) / 1000).unwrap_or(i64::MAX)
}

fn assert_balanced(tx: &Transaction) {
    let sum: i128 = tx.postings().iter().map(|p| i128::from(p.amount)).sum();
    assert_eq!(sum, 0, "{tx:?}");
    assert!(
        tx.postings()
            .iter()
            .all(|p| p.amount != 0 && p.amount != i64::MIN)
    );
}

impl Sim {
    fn new() -> Self {
        Self {
            riders: (0..RIDERS).map(|_| RiderId::generate()).collect(),
            drivers: (0..DRIVERS).map(|_| DriverId::generate()).collect(),
            currencies: CURRENCIES
                .iter()
                .map(|c| Currency::new(c).unwrap())
                .collect(),
            invoices: Vec::new(),
            payouts: BTreeMap::new(),
            txs: Vec::new(),
            books: Books::new(),
        }
    }

    /// Books the transaction; on error the books must be untouched and the
    /// only acceptable reason is overflow of some total.
    fn post(&mut self, tx: Transaction) -> bool {
        assert_balanced(&tx);
        let before = self.books.clone();
        match self.books.add_transaction(&tx) {
            Ok(()) => {
                self.txs.push(tx);
                true
            }
            Err(e) => {
                assert_eq!(e, LedgerError::Overflow);
                assert_eq!(self.books, before, "failed add must not mutate");
                false
            }
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Charge {
                rider,
                driver,
                currency,
                amount,
                platform_permille,
                kind,
            } => {
                let platform = scaled(amount, platform_permille);
                let split = ChargeSplit::new(amount, platform, amount - platform).unwrap();
                let currency = self.currencies[currency];
                let tx =
                    Transaction::charge(currency, self.riders[rider], self.drivers[driver], split);
                if self.post(tx.clone()) {
                    self.invoices.push(Invoice {
                        kind,
                        paid_with: None,
                        rider,
                        driver,
                        currency,
                        split,
                        status: InvoiceStatus::Open,
                        charge: tx,
                    });
                }
            }
            Op::Pay {
                pick,
                method,
                wrong_by,
            } => {
                if self.invoices.is_empty() {
                    return;
                }
                let i = pick % self.invoices.len();
                let inv = &self.invoices[i];
                let Some(offered) = inv.split.amount().checked_add(wrong_by) else {
                    return;
                };
                let result = validate_payment(inv.status, inv.split.amount(), offered);
                match inv.status {
                    InvoiceStatus::Paid => assert_eq!(
                        result,
                        Err(PaymentError::NotOpen(TransitionError::AlreadyPaid))
                    ),
                    InvoiceStatus::Void => assert_eq!(
                        result,
                        Err(PaymentError::NotOpen(TransitionError::AlreadyVoid))
                    ),
                    InvoiceStatus::Open if wrong_by != 0 => assert_eq!(
                        result,
                        Err(PaymentError::WrongAmount {
                            expected: inv.split.amount(),
                            got: offered
                        })
                    ),
                    InvoiceStatus::Open => {
                        assert_eq!(result, Ok(InvoiceStatus::Paid));
                        let tx =
                            Transaction::payment(inv.currency, self.riders[inv.rider], offered)
                                .unwrap();
                        if self.post(tx) {
                            self.invoices[i].status = InvoiceStatus::Paid;
                            self.invoices[i].paid_with = Some(method);
                        }
                    }
                }
            }
            Op::Void { pick } => {
                if self.invoices.is_empty() {
                    return;
                }
                let i = pick % self.invoices.len();
                let inv = &self.invoices[i];
                match inv.status.void() {
                    Ok(next) => {
                        assert_eq!(next, InvoiceStatus::Void);
                        let tx = Transaction::void_of(&inv.charge).unwrap();
                        assert_eq!(tx, inv.charge.reverse());
                        if self.post(tx) {
                            self.invoices[i].status = next;
                        }
                    }
                    Err(e) => assert!(matches!(
                        (inv.status, e),
                        (InvoiceStatus::Paid, TransitionError::AlreadyPaid)
                            | (InvoiceStatus::Void, TransitionError::AlreadyVoid)
                    )),
                }
            }
            Op::Payout {
                driver,
                currency,
                permille,
            } => {
                let currency = self.currencies[currency];
                let balance = self.books.driver_payable(self.drivers[driver], currency);
                let amount = scaled(balance.max(0), permille);
                match validate_payout(balance, amount) {
                    Ok(()) => {
                        assert!(amount > 0 && amount <= balance);
                        let tx =
                            Transaction::payout(currency, self.drivers[driver], amount).unwrap();
                        if self.post(tx) {
                            *self.payouts.entry((driver, currency)).or_default() +=
                                i128::from(amount);
                        }
                    }
                    Err(PayoutError::NonPositiveAmount { amount: a }) => {
                        assert_eq!(a, amount);
                        assert!(amount <= 0);
                    }
                    Err(PayoutError::ExceedsBalance {
                        balance: b,
                        requested,
                    }) => {
                        assert_eq!((b, requested), (balance, amount));
                        assert!(amount > balance);
                    }
                }
            }
        }
    }

    fn check_invariants(&self) {
        assert!(self.books.is_balanced());
        for inv in &self.invoices {
            assert_eq!(inv.paid_with.is_some(), inv.status == InvoiceStatus::Paid);
            assert_eq!(inv.kind.as_str().parse::<ChargeKind>(), Ok(inv.kind));
        }
        for &currency in &self.currencies {
            let totals = self.books.totals(currency);
            assert_eq!(totals.debits(), totals.credits());
            // All accounts together sum to zero.
            let sum: i128 = self
                .books
                .balances()
                .filter(|(_, c, _)| *c == currency)
                .map(|(_, _, b)| i128::from(b))
                .sum();
            assert_eq!(sum, 0);

            let of = |f: &dyn Fn(&Invoice) -> i128| -> i128 {
                self.invoices
                    .iter()
                    .filter(|inv| inv.currency == currency)
                    .map(f)
                    .sum()
            };

            for (r, &rider) in self.riders.iter().enumerate() {
                let open: i128 = of(&|inv| {
                    if inv.rider == r {
                        i128::from(inv.status.outstanding(inv.split.amount()))
                    } else {
                        0
                    }
                });
                assert_eq!(
                    i128::from(self.books.rider_receivable(rider, currency)),
                    open
                );
            }
            for (d, &driver) in self.drivers.iter().enumerate() {
                let earned: i128 = of(&|inv| {
                    if inv.driver == d && inv.status != InvoiceStatus::Void {
                        i128::from(inv.split.driver())
                    } else {
                        0
                    }
                });
                let paid_out = self.payouts.get(&(d, currency)).copied().unwrap_or(0);
                assert_eq!(
                    i128::from(self.books.driver_payable(driver, currency)),
                    earned - paid_out
                );
            }
            let revenue: i128 = of(&|inv| {
                if inv.status == InvoiceStatus::Void {
                    0
                } else {
                    i128::from(inv.split.platform())
                }
            });
            assert_eq!(i128::from(self.books.platform_revenue(currency)), revenue);
            let collected: i128 = of(&|inv| {
                if inv.status == InvoiceStatus::Paid {
                    i128::from(inv.split.amount())
                } else {
                    0
                }
            });
            let paid_out: i128 = self
                .payouts
                .iter()
                .filter(|((_, c), _)| *c == currency)
                .map(|(_, v)| *v)
                .sum();
            assert_eq!(
                i128::from(self.books.balance(&Account::PlatformCash, currency)),
                collected - paid_out
            );
        }
    }

    /// The service's path: rebuild everything from string rows.
    fn check_rows_round_trip(&self) {
        let rows: Vec<(String, i64, String)> = self
            .txs
            .iter()
            .flat_map(|tx| {
                tx.postings()
                    .iter()
                    .map(move |p| (p.account.to_string(), p.amount, tx.currency().to_string()))
            })
            .collect();
        let from_rows =
            Books::from_rows(rows.iter().map(|(a, n, c)| (a.as_str(), *n, c.as_str()))).unwrap();
        assert_eq!(from_rows, self.books);
        for tx in &self.txs {
            let currency = tx.currency();
            let rows: Vec<(String, i64)> = tx
                .postings()
                .iter()
                .map(|p| (p.account.to_string(), p.amount))
                .collect();
            let rebuilt = Transaction::try_from_rows(
                tx.kind(),
                rows.iter()
                    .map(|(a, n)| (a.as_str(), *n, currency.as_str())),
            )
            .unwrap();
            assert_eq!(&rebuilt, tx);
        }
    }
}

// Default config: 256 cases, overridable with PROPTEST_CASES for soak runs.
proptest! {
    #[test]
    fn random_operations_keep_the_books_consistent(ops in prop::collection::vec(op_strategy(), 1..80)) {
        let mut sim = Sim::new();
        for op in &ops {
            sim.apply(op);
            sim.check_invariants();
        }
        sim.check_rows_round_trip();
    }

    #[test]
    fn builders_never_panic(
        amount in any::<i64>(),
        platform in any::<i64>(),
        driver in any::<i64>(),
    ) {
        let eur = Currency::new("EUR").unwrap();
        let (r, d) = (RiderId::generate(), DriverId::generate());
        if let Ok(split) = ChargeSplit::new(amount, platform, driver) {
            prop_assert!(amount > 0 && platform >= 0 && driver >= 0);
            prop_assert_eq!(i128::from(platform) + i128::from(driver), i128::from(amount));
            let tx = Transaction::charge(eur, r, d, split);
            assert_balanced(&tx);
            assert_balanced(&tx.reverse());
            let twice = tx.reverse().reverse();
            prop_assert_eq!(twice.postings(), tx.postings());
        }
        match Transaction::payment(eur, r, amount) {
            Ok(tx) => { prop_assert!(amount > 0); assert_balanced(&tx); }
            Err(e) => prop_assert_eq!(e, LedgerError::NonPositiveAmount { amount }),
        }
        match Transaction::payout(eur, d, amount) {
            Ok(tx) => { prop_assert!(amount > 0); assert_balanced(&tx); }
            Err(e) => prop_assert_eq!(e, LedgerError::NonPositiveAmount { amount }),
        }
        let _ = validate_payout(platform, amount);
        let _ = validate_payment(InvoiceStatus::Open, platform, amount);
    }

    #[test]
    fn try_new_accepts_exactly_the_valid_sets(
        amounts in prop::collection::vec(
            prop_oneof![any::<i64>(), -1000_i64..1000, Just(i64::MAX), Just(i64::MIN), Just(0_i64)],
            0..5,
        ),
        close in any::<bool>(),
        duplicate in any::<bool>(),
    ) {
        let eur = Currency::new("EUR").unwrap();
        let mut accounts: Vec<Account> = (0..6).map(|_| Account::Rider(RiderId::generate())).collect();
        if duplicate {
            accounts[1] = accounts[0];
        }
        let mut postings: Vec<Posting> =
            amounts.iter().zip(&accounts).map(|(&a, &acc)| Posting::new(acc, a)).collect();
        // Often add a closing posting so that balanced sets are common.
        if close {
            let net: i128 = postings.iter().map(|p| i128::from(p.amount)).sum();
            if let Ok(closing) = i64::try_from(-net) {
                postings.push(Posting::new(accounts[5], closing));
            }
        }
        let valid = !postings.is_empty()
            && postings.iter().all(|p| p.amount != 0 && p.amount != i64::MIN)
            && postings.iter().map(|p| i128::from(p.amount)).sum::<i128>() == 0
            && postings.iter().filter(|p| p.amount > 0).map(|p| i128::from(p.amount)).sum::<i128>()
                <= i128::from(i64::MAX)
            && (1..postings.len()).all(|i| !postings[..i].iter().any(|q| q.account == postings[i].account));
        match Transaction::try_new(TxKind::Void, eur, postings.clone()) {
            Ok(tx) => {
                prop_assert!(valid);
                prop_assert_eq!(tx.postings(), &postings[..]);
                assert_balanced(&tx);
                let reversed = tx.reverse();
                assert_balanced(&reversed);
                for (p, r) in tx.postings().iter().zip(reversed.postings()) {
                    prop_assert_eq!(p.account, r.account);
                    prop_assert_eq!(i128::from(p.amount), -i128::from(r.amount));
                }
            }
            Err(_) => prop_assert!(!valid),
        }
    }

    #[test]
    fn books_from_arbitrary_rows_never_panic(
        rows in prop::collection::vec(
            (0_usize..4, prop_oneof![any::<i64>(), Just(i64::MAX), Just(i64::MIN), -5_i64..5], 0_usize..2),
            0..12,
        ),
    ) {
        let names = ["platform:cash", "platform:revenue", "rider:00000000-0000-0000-0000-000000000001", "bogus"];
        let result = Books::from_rows(rows.iter().map(|&(a, n, c)| (names[a], n, CURRENCIES[c])));
        if let Ok(books) = result {
            for (currency, totals) in books.currencies() {
                let sum: i128 = books.balances().filter(|(_, c, _)| *c == currency).map(|(_, _, b)| i128::from(b)).sum();
                prop_assert_eq!(sum, i128::from(totals.debits()) - i128::from(totals.credits()));
                prop_assert_eq!(totals.is_balanced(), sum == 0);
            }
            prop_assert!(books.balances().all(|(_, _, b)| b != i64::MIN));
        }
    }
}
