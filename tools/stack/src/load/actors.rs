//! The load's people: riders with accounts, and drivers with accounts, profiles, an agreement
//! to the current terms, and a place online near the shared city centre.

use reqwest::Method;
use serde_json::json;

use super::flow::{Gateway, Req, StepError};
use super::stats::Stats;

/// The shared city centre (Lisbon's Praça do Comércio): every pickup lies within a kilometre.
pub const CENTRE: (f64, f64) = (38.7075, -9.1365);

/// One account the load acts as.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Its access token.
    pub token: String,
    /// Where it is (drivers wait here; it is their riders' pickup).
    pub position: (f64, f64),
}

/// A password for every load account (they live in the stack's own databases).
const PASSWORD: &str = "load-test-password";

async fn account(gw: &Gateway, role: &str, n: usize, run: &str) -> Result<String, StepError> {
    let email = format!("{role}-{n}-{run}@load.odmu.test");
    let res = gw
        .http
        .post(format!("{}/auth/v1/users", gw.base))
        .json(&json!({"email": email, "password": PASSWORD, "role": role}))
        .send()
        .await
        .map_err(|e| setup_error("sign-up", e.to_string()))?;
    if res.status().as_u16() != 201 {
        return Err(setup_error("sign-up", format!("{}", res.status())));
    }
    login(gw, &email, PASSWORD).await
}

/// An access token for `email` (the password grant). odmu_auth limits logins per client
/// address (`AUTH_LOGIN_LIMIT_PER_ADDRESS`, 50 a minute), and every load account logs in from
/// one: a `429 slow_down` is waited out as its `Retry-After` says, for up to three minutes.
pub async fn login(gw: &Gateway, email: &str, password: &str) -> Result<String, StepError> {
    let patience = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let res = gw
            .http
            .post(format!("{}/auth/v1/token", gw.base))
            .form(&[
                ("grant_type", "password"),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .map_err(|e| setup_error("login", e.to_string()))?;
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let status = res.status();
        let body: serde_json::Value = res
            .json()
            .await
            .map_err(|e| setup_error("login", e.to_string()))?;
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS && std::time::Instant::now() < patience
        {
            let wait = std::time::Duration::from_secs(retry_after.unwrap_or(1).clamp(1, 60));
            tokio::time::sleep(wait).await;
            continue;
        }
        return body["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| setup_error("login", body.to_string()));
    }
}

fn setup_error(what: &str, detail: String) -> StepError {
    StepError {
        step: "setup",
        kind: what.to_owned(),
        detail,
    }
}

/// `count` riders, signed up and logged in.
pub async fn riders(gw: &Gateway, count: usize, run: &str) -> Result<Vec<Actor>, StepError> {
    bounded(count, gw, run, |gw, run, n| async move {
        Ok(Actor {
            token: account(&gw, "rider", n, &run).await?,
            position: CENTRE,
        })
    })
    .await
}

/// `count` drivers, each with a profile and an agreement to the current terms, online at a
/// spot of their own near the centre.
pub async fn drivers(gw: &Gateway, count: usize, run: &str) -> Result<Vec<Actor>, StepError> {
    bounded(count, gw, run, |gw, run, n| async move {
        // Setup calls are not part of the figures.
        let stats = Stats::new();
        let token = account(&gw, "driver", n, &run).await?;
        // Spread over about a kilometre with the golden angle, so that drivers do not all
        // stand on one spot.
        let angle = n as f64 * 2.399_963;
        let radius = 0.004 + 0.006 * ((n % 7) as f64 / 7.0);
        let position = (
            CENTRE.0 + radius * angle.sin(),
            CENTRE.1 + radius * angle.cos(),
        );
        let profile = json!({"name": format!("Driver {n}"), "vehicle_plate": format!("LD-{n:04}"),
                             "vehicle_class": "standard"});
        gw.call(
            &stats,
            Req::new("setup", Method::PUT, "/driver/v1/profile", &token).json(profile),
        )
        .await?;
        let terms = gw
            .call(
                &stats,
                Req::new("setup", Method::GET, "/contract/v1/terms/current", &token),
            )
            .await?;
        let agreement = json!({"terms_version": terms["version"]});
        gw.call(
            &stats,
            Req::new("setup", Method::POST, "/contract/v1/agreements", &token).json(agreement),
        )
        .await?;
        let online = json!({"online": true, "lat": position.0, "lon": position.1});
        gw.call(
            &stats,
            Req::new("setup", Method::PUT, "/driver/v1/availability", &token).json(online),
        )
        .await?;
        Ok(Actor { token, position })
    })
    .await
}

/// Runs `make(gw, run, n)` for `n` in `0..count`, four at a time (sign-ups hash passwords:
/// more at once only queues them); the first error wins.
async fn bounded<F, Fut>(
    count: usize,
    gw: &Gateway,
    run: &str,
    make: F,
) -> Result<Vec<Actor>, StepError>
where
    F: Fn(Gateway, String, usize) -> Fut,
    Fut: std::future::Future<Output = Result<Actor, StepError>> + Send + 'static,
{
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(4));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..count {
        let fut = make(gw.clone(), run.to_owned(), n);
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (n, fut.await)
        });
    }
    let mut out: Vec<Option<Actor>> = vec![None; count];
    while let Some(joined) = tasks.join_next().await {
        let (n, actor) = joined.map_err(|e| setup_error("task", e.to_string()))?;
        out[n] = Some(actor?);
    }
    Ok(out.into_iter().flatten().collect())
}
