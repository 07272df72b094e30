//! One typed client per service client_app_api calls, each bounding every call by the
//! configured timeout and sending this service's token, the request id and the trace context
//! (the kit's `ServiceClient`). Reads and idempotent writes are retried once after a transient
//! failure; anything else is answered at once.

pub mod contractual;
pub mod driver_api;

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use axum::http::StatusCode;
use backon::{ExponentialBuilder, Retryable as _};
use odmu_http::ClientError;

/// Runs `once`, and once more after a short pause when it failed in a way that may pass: the
/// callee unreachable or timing out, 408, 429, 5xx, or a 401 for a stale cached token (the
/// kit dropped it, so the retry fetches another). Only for calls that are safe to repeat.
pub(crate) async fn retried<T, F, Fut>(what: &'static str, once: F) -> Result<T, ClientError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ClientError>>,
{
    once.retry(
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(50))
            .with_max_delay(Duration::from_millis(200))
            .with_max_times(1)
            .with_jitter(),
    )
    .when(|e: &ClientError| e.is_transient() || e.status() == Some(StatusCode::UNAUTHORIZED))
    .notify(|e, wait| tracing::warn!(error = %e, ?wait, call = what, "call failed; retrying"))
    .await
}

/// Runs `futures` concurrently, at most `limit` at a time, and answers their outputs in
/// order. They run on this task (not spawned), so each call keeps the request's id and trace
/// context.
pub async fn bounded<F: Future>(futures: Vec<F>, limit: usize) -> Vec<F::Output> {
    let gate = tokio::sync::Semaphore::new(limit.clamp(1, tokio::sync::Semaphore::MAX_PERMITS));
    let mut running: Vec<Pin<Box<_>>> = futures
        .into_iter()
        .map(|future| {
            let gate = &gate;
            Box::pin(async move {
                // The gate is never closed, so a permit always comes.
                let _permit = gate.acquire().await.ok();
                future.await
            })
        })
        .collect();
    let mut outputs: Vec<Option<F::Output>> = running.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in running.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn bounded_keeps_the_order_and_never_runs_more_than_the_limit() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let futures: Vec<_> = (0..20u64)
            .map(|i| {
                let (running, most) = (&running, &most);
                async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    // Later ones finish first: the answer keeps the input order anyway.
                    tokio::time::sleep(Duration::from_millis(20 - i)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    i
                }
            })
            .collect();
        let outputs = bounded(futures, 4).await;
        assert_eq!(outputs, (0..20).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 4);
        assert!(
            bounded(Vec::<std::future::Ready<()>>::new(), 4)
                .await
                .is_empty()
        );
    }
}
