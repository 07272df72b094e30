//! Rides no driver accepted within `RIDE_REQUEST_TTL_S` become `expired`: a worker of every
//! task sweeps them with one conditional write (`... WHERE status = 'requested' AND
//! requested_at_ms < cutoff`), so several tasks sweeping at once expire each ride once.

use odmu_runtime::Worker;
use odmu_storage::now_millis;

use crate::AppState;
use crate::domain::ride::expiry_cutoff_ms;
use crate::store::transitions;

/// The sweeper, every [`crate::Config::expiry_period`].
pub fn worker(state: &AppState) -> Worker {
    let state = state.clone();
    Worker::every("ride-expiry", state.config().expiry_period(), move || {
        let state = state.clone();
        async move { sweep(&state).await }
    })
}

/// One sweep; failures are logged and the next sweep tries again.
pub async fn sweep(state: &AppState) {
    let now = now_millis();
    let cutoff = expiry_cutoff_ms(now, state.config().request_ttl_ms());
    match transitions::expire(state.db(), cutoff, now).await {
        Ok(0) => {}
        Ok(expired) => tracing::info!(expired, "rides expired without a driver"),
        Err(e) => tracing::warn!(error = %e, "the ride expiry sweep failed"),
    }
}
