//! Benchmarks of the dispatch geometry: the H3 pre-filter cell list and the
//! exact nearest-first filter.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use driver_api::domain::geo::{LatLon, cells_within, cells_within_pruned, nearest_within};

/// A point `i`-dependent but spread over roughly ±5 km around `origin`,
/// deterministic so runs compare.
fn candidates(origin: LatLon, n: usize) -> Vec<(u32, LatLon)> {
    (0..n)
        .filter_map(|i| {
            let t = i as f64;
            // Two incommensurate sines give a pseudo-random scatter.
            let dlat = (t * 12.9898).sin() * 0.045;
            let dlon = (t * 78.233).sin() * 0.06;
            let p = LatLon::new(origin.lat() + dlat, origin.lon() + dlon).ok()?;
            Some((u32::try_from(i).ok()?, p))
        })
        .collect()
}

fn bench_geo(c: &mut Criterion) {
    let Ok(origin) = LatLon::new(48.8566, 2.3522) else {
        return;
    };
    c.bench_function("cells_within 3000 m", |b| {
        b.iter(|| cells_within(black_box(origin), black_box(3000.0)))
    });
    c.bench_function("cells_within_pruned 3000 m", |b| {
        b.iter(|| cells_within_pruned(black_box(origin), black_box(3000.0)))
    });
    let pool = candidates(origin, 1000);
    c.bench_function("nearest_within 3000 m over 1000 candidates", |b| {
        b.iter(|| nearest_within(black_box(origin), black_box(3000.0), pool.iter().copied()))
    });
}

criterion_group!(benches, bench_geo);
criterion_main!(benches);
