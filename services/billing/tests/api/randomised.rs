//! A randomised run over HTTP (fixed seed, so a failure replays): charges, repeats,
//! payments (right and wrong), voids and payouts (within and over the balance) among a few
//! riders and drivers in two currencies, each answer checked against a model; then the books
//! are checked whole.

use std::collections::BTreeMap;

use odmu_testkit::Caller;
use serde_json::{Value, json};

use crate::support::{Recomputed, Stack, charge_body, new_id};

const SEED: u64 = 0x0d_6d75_b111;
const OPERATIONS: usize = 150;

/// A tiny deterministic generator (Knuth's MMIX LCG; the high bits are the good ones).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }
}

/// What the model knows of an invoice.
struct Known {
    id: String,
    rider: usize,
    driver: usize,
    currency: String,
    amount: i64,
    driver_cents: i64,
    status: &'static str,
    charge: Value,
}

#[tokio::test]
async fn a_randomised_run_keeps_every_invariant_of_the_books() {
    let stack = Stack::start().await;
    stack
        .tariff(
            "dollars",
            &json!({"currency": "USD", "commission_bps": 1500, "cancellation_fee_cents": 0}),
        )
        .await;
    let riders: Vec<Caller> = (0..3).map(|_| stack.billing.rider()).collect();
    let drivers: Vec<Caller> = (0..3).map(|_| stack.billing.driver()).collect();
    let mut quotes: Vec<Vec<String>> = Vec::new();
    for rider in &riders {
        let mut mine = Vec::new();
        for (km, tariff) in [(3000, "standard"), (12_000, "standard"), (6000, "dollars")] {
            mine.push(
                stack.quote_with(rider, km, tariff).await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        quotes.push(mine);
    }

    let mut rng = Lcg(SEED);
    let mut invoices: Vec<Known> = Vec::new();
    let mut payable: BTreeMap<(usize, String), i64> = BTreeMap::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for step in 0..OPERATIONS {
        let roll = rng.below(100);
        let label = match roll {
            0..40 => {
                let (r, d) = (rng.below(3) as usize, rng.below(3) as usize);
                let quote = rng.pick(&quotes[r]).clone();
                let kind = if rng.below(5) == 0 {
                    "cancellation"
                } else {
                    "ride"
                };
                let mut body = charge_body(&new_id(), kind, &riders[r], &drivers[d], &quote);
                if kind == "ride" && rng.below(2) == 0 {
                    body["distance_m"] = json!(rng.below(20_001));
                    body["duration_s"] = json!(rng.below(3_601));
                }
                let invoice = stack.charge(&body).await.expect(201).body;
                let driver_cents = invoice["driver_cents"].as_i64().unwrap();
                let currency = invoice["currency"].as_str().unwrap().to_owned();
                *payable.entry((d, currency.clone())).or_default() += driver_cents;
                let amount = invoice["amount_cents"].as_i64().unwrap();
                invoices.push(Known {
                    id: invoice["id"].as_str().unwrap().to_owned(),
                    rider: r,
                    driver: d,
                    currency,
                    amount,
                    driver_cents,
                    status: if amount == 0 { "paid" } else { "open" },
                    charge: body,
                });
                "charge"
            }
            40..45 if !invoices.is_empty() => {
                let known = rng.pick(&invoices);
                let again = stack.charge(&known.charge).await.expect(200).body;
                assert_eq!(again["id"], known.id.as_str(), "step {step}");
                "repeat"
            }
            45..70 if !invoices.is_empty() => {
                let i = rng.below(invoices.len() as u64) as usize;
                let wrong = rng.below(5) == 0;
                let known = &mut invoices[i];
                // (An invoice of 0 is born paid; payments are at least 1.)
                let amount = (known.amount + i64::from(wrong)).max(1);
                let reply = stack
                    .pay_amount(
                        &riders[known.rider],
                        &known.id,
                        amount,
                        &format!("pay-{step}"),
                    )
                    .await;
                let expected = match known.status {
                    "open" if amount == known.amount => 201,
                    "open" => 422,
                    _ => 409,
                };
                reply.expect(expected);
                if expected == 201 {
                    known.status = "paid";
                }
                "pay"
            }
            70..85 if !invoices.is_empty() => {
                let i = rng.below(invoices.len() as u64) as usize;
                let known = &mut invoices[i];
                let path = format!("/v1/invoices/{}/void", known.id);
                let reply = stack.billing.post(&path).as_(&stack.admin).send().await;
                if known.status == "open" {
                    reply.expect(200);
                    known.status = "void";
                    *payable
                        .entry((known.driver, known.currency.clone()))
                        .or_default() -= known.driver_cents;
                } else {
                    reply.expect(409);
                }
                "void"
            }
            85..100 => {
                let d = rng.below(3) as usize;
                let currency = if rng.below(4) == 0 { "USD" } else { "EUR" };
                let owed = payable.get(&(d, currency.to_owned())).copied().unwrap_or(0);
                // Up to 120% of the balance, so refusals happen too.
                let amount =
                    1 + i64::try_from(rng.below(u64::try_from(owed.max(100) * 6 / 5).unwrap()))
                        .unwrap();
                let reply = stack
                    .billing
                    .post("/v1/payouts")
                    .as_(&stack.admin)
                    .idempotency_key(&format!("payout-{step}"))
                    .json(&json!({"driver_id": drivers[d].id, "amount_cents": amount, "currency": currency}))
                    .send()
                    .await;
                if amount <= owed {
                    reply.expect(201);
                    *payable.entry((d, currency.to_owned())).or_default() -= amount;
                } else {
                    assert_eq!(
                        reply.expect(409).body["balance_cents"].as_i64(),
                        Some(owed),
                        "step {step}"
                    );
                }
                "payout"
            }
            _ => "skip",
        };
        *counts.entry(label).or_default() += 1;
    }
    assert!(
        counts["charge"] > 30 && counts["pay"] > 10 && counts["void"] > 5 && counts["payout"] > 5,
        "{counts:?}"
    );

    // The books, recomputed from the journal over HTTP.
    let journal = stack.journal().await;
    let books = Recomputed::from_journal(&journal);
    books.assert_summary(&stack.admin_get("/v1/ledger/summary").await);
    stack.assert_caches_match_entries().await;

    // Each rider's receivable is their open invoices; billing's view of statuses is the model's.
    let listed = stack.all_pages(&stack.admin, "/v1/invoices").await;
    assert_eq!(listed.len(), invoices.len());
    let status_of: BTreeMap<&str, &str> = listed
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    for known in &invoices {
        assert_eq!(
            status_of[known.id.as_str()],
            known.status,
            "invoice {}",
            known.id
        );
    }
    for (r, rider) in riders.iter().enumerate() {
        for currency in ["EUR", "USD"] {
            let open: i64 = invoices
                .iter()
                .filter(|k| k.rider == r && k.currency == currency && k.status == "open")
                .map(|k| k.amount)
                .sum();
            assert_eq!(
                books.balance(&format!("rider:{}", rider.id), currency),
                open,
                "rider {r} {currency}"
            );
        }
    }
    // Each driver's payable is earnings − payouts − voided earnings, in the ledger and in their
    // own view.
    for (d, driver) in drivers.iter().enumerate() {
        for currency in ["EUR", "USD"] {
            let owed = payable.get(&(d, currency.to_owned())).copied().unwrap_or(0);
            assert_eq!(
                -books.balance(&format!("driver:{}", driver.id), currency),
                owed,
                "driver {d} {currency}"
            );
            let earnings = stack
                .billing
                .get(&format!("/v1/earnings?currency={currency}"))
                .as_(driver)
                .send()
                .await
                .expect(200)
                .body;
            assert_eq!(earnings["balance_cents"].as_i64(), Some(owed));
        }
    }
}
