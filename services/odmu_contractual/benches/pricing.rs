//! Benchmarks of the pricing hot path.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use odmu_contractual::domain::pricing::{Quoted, final_ride_price, quote};
use odmu_contractual::domain::tariff::standard_v1;

fn pricing(c: &mut Criterion) {
    let tariff = standard_v1();
    c.bench_function("quote standard_v1 5 km 15 min x1.2", |b| {
        b.iter(|| {
            quote(
                black_box(&tariff),
                black_box(5_000),
                black_box(900),
                black_box(17_000),
            )
        });
    });
    let quoted = quote(&tariff, 5_000, 900, 17_000).map(|price| Quoted::new(5_000, 900, &price));
    if let Ok(quoted) = quoted {
        c.bench_function("final_ride_price metered", |b| {
            b.iter(|| {
                final_ride_price(
                    black_box(&tariff),
                    black_box(&quoted),
                    black_box(7_500),
                    black_box(1_300),
                )
            });
        });
    }
}

criterion_group!(benches, pricing);
criterion_main!(benches);
