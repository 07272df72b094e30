//! Latencies per step in HDR histograms, counts of errors by status, and the report.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// The steps of one flow, in order.
pub const STEPS: [&str; 9] = [
    "quote", "book", "see", "accept", "start", "complete", "invoice", "cancel", "recover",
];

/// What one step has seen so far.
struct Step {
    latency_us: Histogram<u64>,
    errors: BTreeMap<String, u64>,
}

impl Step {
    fn new() -> Self {
        Self {
            latency_us: histogram(),
            errors: BTreeMap::new(),
        }
    }
}

/// 1 µs to 60 s at 3 significant digits: a few tens of KiB.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant, valid bounds")
}

/// The run's measurements, shared by every flow.
pub struct Stats {
    steps: Mutex<BTreeMap<&'static str, Step>>,
    flows: Mutex<Histogram<u64>>,
    outcome: Mutex<Outcomes>,
}

#[derive(Default, Clone, Copy)]
struct Outcomes {
    completed: u64,
    cancelled: u64,
    failed: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

impl Stats {
    /// Empty measurements.
    pub fn new() -> Self {
        Self {
            steps: Mutex::new(STEPS.iter().map(|s| (*s, Step::new())).collect()),
            flows: Mutex::new(histogram()),
            outcome: Mutex::new(Outcomes::default()),
        }
    }

    /// One answer of `step` after `took`: `error` names its status when it failed.
    pub fn record(&self, step: &'static str, took: Duration, error: Option<String>) {
        let mut steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        let entry = steps.entry(step).or_insert_with(Step::new);
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        let _ = entry.latency_us.record(us.min(60_000_000));
        if let Some(error) = error {
            *entry.errors.entry(error).or_default() += 1;
        }
    }

    /// A flow ended: completed (with its invoice), cancelled, or failed.
    pub fn flow(&self, took: Duration, outcome: Outcome) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        let _ = self
            .flows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(us.min(60_000_000));
        let mut o = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        match outcome {
            Outcome::Completed => o.completed += 1,
            Outcome::Cancelled => o.cancelled += 1,
            Outcome::Failed => o.failed += 1,
        }
    }

    /// Flows finished so far (any outcome), failed so far, and the p99 of all steps in ms.
    pub fn progress(&self) -> (u64, u64, f64) {
        let o = *self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        let steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        let p99 = steps
            .values()
            .filter(|s| !s.latency_us.is_empty())
            .map(|s| s.latency_us.value_at_quantile(0.99))
            .max()
            .unwrap_or(0);
        (
            o.completed + o.cancelled + o.failed,
            o.failed,
            p99 as f64 / 1000.0,
        )
    }

    /// The report of the run, which lasted `elapsed`.
    pub fn report(&self, elapsed: Duration, settings: serde_json::Value) -> Report {
        let o = *self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        let seconds = elapsed.as_secs_f64().max(1e-9);
        let steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        let flows = self.flows.lock().unwrap_or_else(|e| e.into_inner());
        let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        Report {
            flows_per_second: (o.completed + o.cancelled) as f64 / seconds,
            flows_completed: o.completed,
            flows_cancelled: o.cancelled,
            flows_failed: o.failed,
            requests_failed: steps.values().map(|s| s.errors.values().sum::<u64>()).sum(),
            duration_s: seconds,
            flow_p50_ms: ms(&flows, 0.5),
            flow_p99_ms: ms(&flows, 0.99),
            steps: STEPS
                .iter()
                .filter_map(|name| steps.get(name).map(|s| (name, s)))
                .filter(|(_, s)| !s.latency_us.is_empty())
                .map(|(name, s)| StepReport {
                    step: (*name).to_owned(),
                    count: s.latency_us.len(),
                    errors: s.errors.clone(),
                    p50_ms: ms(&s.latency_us, 0.5),
                    p95_ms: ms(&s.latency_us, 0.95),
                    p99_ms: ms(&s.latency_us, 0.99),
                    max_ms: s.latency_us.max() as f64 / 1000.0,
                })
                .collect(),
            settings,
            verification: None,
        }
    }
}

/// How a flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Completed and invoiced.
    Completed,
    /// Cancelled by the rider, as planned.
    Cancelled,
    /// A step failed.
    Failed,
}

/// The machine-readable report (`--report FILE.json`).
#[derive(Debug, Serialize)]
pub struct Report {
    /// Completed and cancelled flows per second over the run.
    pub flows_per_second: f64,
    /// Flows that ended with an invoice.
    pub flows_completed: u64,
    /// Flows the rider cancelled, as planned.
    pub flows_cancelled: u64,
    /// Flows that failed at some step.
    pub flows_failed: u64,
    /// Requests answered with an error or not at all (every step, `recover` included).
    pub requests_failed: u64,
    /// The run's length.
    pub duration_s: f64,
    /// Whole-flow latency, p50.
    pub flow_p50_ms: f64,
    /// Whole-flow latency, p99.
    pub flow_p99_ms: f64,
    /// Per step: count, errors by status, latency.
    pub steps: Vec<StepReport>,
    /// The options of the run.
    pub settings: serde_json::Value,
    /// The checks of the platform's data after the run.
    pub verification: Option<super::verify::Verification>,
}

impl Report {
    /// Whether the run was clean: no failed flow, and the checks passed.
    pub fn clean(&self) -> bool {
        self.flows_failed == 0 && self.verification.as_ref().is_none_or(|v| v.ok)
    }
}

/// One step's figures.
#[derive(Debug, Serialize)]
pub struct StepReport {
    /// Its name.
    pub step: String,
    /// Answers seen.
    pub count: u64,
    /// Failures by status (`"409"`, `"timeout"`, ...).
    pub errors: BTreeMap<String, u64>,
    /// Latency p50, ms.
    pub p50_ms: f64,
    /// Latency p95, ms.
    pub p95_ms: f64,
    /// Latency p99, ms.
    pub p99_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
}

impl Report {
    /// The human table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<10} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}  errors\n",
            "step", "count", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"
        );
        for s in &self.steps {
            let errors: u64 = s.errors.values().sum();
            let detail: Vec<String> = s.errors.iter().map(|(k, v)| format!("{k}x{v}")).collect();
            out.push_str(&format!(
                "{:<10} {:>8} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.2}  {}\n",
                s.step,
                s.count,
                errors,
                s.p50_ms,
                s.p95_ms,
                s.p99_ms,
                s.max_ms,
                detail.join(" ")
            ));
        }
        out.push_str(&format!(
            "flows: {} completed, {} cancelled, {} failed in {:.1} s: {:.1} flows/s (flow p50 {:.1} ms, p99 {:.1} ms)\n",
            self.flows_completed,
            self.flows_cancelled,
            self.flows_failed,
            self.duration_s,
            self.flows_per_second,
            self.flow_p50_ms,
            self.flow_p99_ms
        ));
        if let Some(v) = &self.verification {
            out.push_str(&v.line());
            out.push('\n');
            for problem in v.lost.iter().chain(&v.duplicated) {
                out.push_str(&format!("  {problem}\n"));
            }
        }
        out
    }
}
