//! JWT verification for odmu services (DESIGN.md §4).
//!
//! Every service verifies tokens itself from odmu_auth's public keys: the [`Verifier`] fetches
//! the JWKS from `AUTH_URL`, caches it, and refetches on an unknown `kid` at most once per
//! cooldown, so a flood of made-up `kid`s cannot turn into a flood of JWKS fetches. Only
//! asymmetric algorithms from an allow-list are accepted; `iss`, `aud`, `exp` and `nbf` are
//! always checked. Handlers take [`Authenticated`] (any valid token) or [`Auth<R>`] (a role).
//!
//! The other direction, calling another service, takes a `client_credentials` token from
//! [`ServiceTokens`], which caches it and fetches one at a time.

mod extract;
mod jwks;
mod service_token;

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, Validation};
use odmu_config::{ConfigError, Env};
use odmu_http::Problem;
use serde::{Deserialize, Serialize};

pub use extract::{
    Admin, Auth, Authenticated, Driver, Rider, RiderOrService, Roles, Service, User, bearer_token,
    require_token,
};
use jwks::KeyCache;
pub use service_token::{ServiceTokenConfig, ServiceTokenError, ServiceTokens, TOKEN_PATH};

/// Where odmu_auth publishes its public keys, under `AUTH_URL`.
pub const JWKS_PATH: &str = "/auth/.well-known/jwks.json";

/// Who the bearer of a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A rider (books trips).
    Rider,
    /// A driver (carries them out).
    Driver,
    /// An operator of the platform.
    Admin,
    /// Another odmu service, with a `client_credentials` token.
    Service,
}

/// The claims of a verified access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer (checked against `AUTH_ISSUER`).
    pub iss: String,
    /// Subject: a user id, or a service name for service tokens.
    pub sub: String,
    /// The bearer's role.
    pub role: Role,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    #[serde(default)]
    pub iat: i64,
    /// Token id.
    #[serde(default)]
    pub jti: Option<String>,
}

/// Token verification settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `AUTH_URL` (default `http://127.0.0.1:3003`): odmu_auth's base URL.
    pub auth_url: String,
    /// `AUTH_ISSUER` (default `odmu`): the only accepted `iss`.
    pub issuer: String,
    /// `AUTH_AUDIENCE` (default `odmu`): the required `aud`.
    pub audience: String,
    /// `AUTH_ALGORITHMS` (default `EdDSA`): accepted `alg`s, comma-separated; asymmetric only.
    pub algorithms: Vec<Algorithm>,
    /// `AUTH_JWKS_MIN_REFRESH_MS` (default 5000): the least time between two JWKS fetches.
    pub jwks_min_refresh: Duration,
    /// `AUTH_JWKS_MAX_AGE_MS` (default 600000): keys older than this are refetched.
    pub jwks_max_age: Duration,
    /// Allowed clock skew for `exp` and `nbf`.
    pub leeway: Duration,
}

impl AuthConfig {
    /// Reads and checks the auth variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let algorithms = env
            .string_or("AUTH_ALGORITHMS", "EdDSA")
            .split(',')
            .map(|a| parse_algorithm(a.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            auth_url: env.http_url_or("AUTH_URL", "http://127.0.0.1:3003")?,
            issuer: env.string_or("AUTH_ISSUER", "odmu"),
            audience: env.string_or("AUTH_AUDIENCE", "odmu"),
            algorithms,
            jwks_min_refresh: env.millis_or("AUTH_JWKS_MIN_REFRESH_MS", Duration::from_secs(5))?,
            jwks_max_age: env.millis_or("AUTH_JWKS_MAX_AGE_MS", Duration::from_secs(600))?,
            leeway: Duration::from_secs(10),
        })
    }
}

fn parse_algorithm(name: &str) -> Result<Algorithm, ConfigError> {
    match name {
        "EdDSA" => Ok(Algorithm::EdDSA),
        "RS256" => Ok(Algorithm::RS256),
        "ES256" => Ok(Algorithm::ES256),
        other => Err(ConfigError::invalid(
            "AUTH_ALGORITHMS",
            format!("{other:?} is not allowed; use EdDSA, RS256 or ES256 (asymmetric only)"),
        )),
    }
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("a bearer token is required")]
    MissingToken,
    /// Not a JWT at all.
    #[error("the token is malformed")]
    Malformed,
    /// `alg` not on the allow-list (`none`, HS256, ...).
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    /// No key with this `kid`, even after refreshing the key set.
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    /// Signature, issuer, audience or a required claim is wrong.
    #[error("the token is invalid")]
    Invalid,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is still ahead.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// The key set could not be fetched and no cached key fits.
    #[error("the signing keys are unavailable")]
    KeysUnavailable,
    /// A valid token whose role may not do this.
    #[error("this role may not do this")]
    Forbidden,
}

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Forbidden => Problem::forbidden(e.to_string()),
            AuthError::KeysUnavailable => {
                Problem::unavailable("Tokens cannot be verified right now; retry later.")
            }
            _ => Problem::unauthorized(e.to_string()),
        }
    }
}

/// Verifies access tokens. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    config: AuthConfig,
    keys: KeyCache,
}

impl Verifier {
    /// A verifier for `config`; keys are fetched on first use (or by [`Verifier::warm`]).
    pub fn new(config: AuthConfig) -> Self {
        let keys = KeyCache::new(
            format!("{}{JWKS_PATH}", config.auth_url),
            config.jwks_min_refresh,
            config.jwks_max_age,
        );
        Self {
            inner: Arc::new(Inner { config, keys }),
        }
    }

    /// Fetches the key set ahead of the first request; failures are only logged.
    pub async fn warm(&self) {
        self.inner.keys.refresh().await;
    }

    /// Verifies `token` fully and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let config = &self.inner.config;
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        if !config.algorithms.contains(&header.alg) {
            return Err(AuthError::Algorithm);
        }
        let kid = header.kid.ok_or(AuthError::UnknownKey)?;
        let key = self.inner.keys.get(&kid).await?;
        if key.algorithm != header.alg {
            return Err(AuthError::Algorithm);
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = config.leeway.as_secs();
        jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::ExpiredSignature => AuthError::Expired,
                    ErrorKind::ImmatureSignature => AuthError::NotYetValid,
                    ErrorKind::InvalidToken
                    | ErrorKind::Base64(_)
                    | ErrorKind::Json(_)
                    | ErrorKind::Utf8(_) => AuthError::Malformed,
                    _ => AuthError::Invalid,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_asymmetric_algorithms_can_be_configured() {
        let env = Env::from_pairs([("AUTH_ALGORITHMS", "EdDSA,HS256")]);
        let err = AuthConfig::from_env(&env).unwrap_err().to_string();
        assert!(
            err.contains("AUTH_ALGORITHMS") && err.contains("HS256"),
            "{err}"
        );
        let env = Env::from_pairs([("AUTH_ALGORITHMS", "none")]);
        assert!(AuthConfig::from_env(&env).is_err());
        let ok =
            AuthConfig::from_env(&Env::from_pairs([("AUTH_ALGORITHMS", "EdDSA, RS256")])).unwrap();
        assert_eq!(ok.algorithms, vec![Algorithm::EdDSA, Algorithm::RS256]);
    }

    #[test]
    fn auth_url_must_be_a_url() {
        let err = AuthConfig::from_env(&Env::from_pairs([("AUTH_URL", "auth:3003")]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("AUTH_URL is invalid"), "{err}");
    }

    #[test]
    fn refusals_map_to_401_403_and_503() {
        assert_eq!(Problem::from(AuthError::Expired).status, 401);
        assert_eq!(Problem::from(AuthError::Forbidden).status, 403);
        assert_eq!(Problem::from(AuthError::KeysUnavailable).status, 503);
    }
}
