//! JWT verification for odmu services (DESIGN.md §4), and the claims and keys odmu_auth signs
//! them with.
//!
//! Every service verifies tokens itself from odmu_auth's public keys: the [`Verifier`] fetches
//! the JWKS from `AUTH_URL`, caches it, and refetches on an unknown `kid` at most once per
//! cooldown, so a flood of made-up `kid`s cannot turn into a flood of JWKS fetches. Only
//! asymmetric algorithms from an allow-list are accepted; `iss`, `aud`, `exp` and `nbf` are
//! always checked. A token is presented many times in its life, so a verified token is kept in a
//! bounded cache (keyed by the SHA-256 of the whole token, never past its `exp`, cleared when
//! the key set changes), the way Envoy's `jwt_authn` caches verified JWTs. Handlers take
//! [`Authenticated`] (any valid token) or [`Auth<R>`] with a role set from [`roles`].
//!
//! The other direction, calling another service, takes a `client_credentials` token from
//! [`ServiceTokens`], which caches it and fetches one at a time.

mod extract;
mod jwks;
mod service_token;
mod signing;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, Validation};
use odmu_config::{ConfigError, Env};
use odmu_http::Problem;
use serde::{Deserialize, Serialize};

pub use extract::{Auth, Authenticated, Roles, bearer_token, require_token, roles};
use jwks::KeyCache;
pub use service_token::{ServiceTokenConfig, ServiceTokenError, ServiceTokens, TOKEN_PATH};
pub use signing::{KeyError, SigningKey};

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

impl Role {
    /// The role's name in tokens and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rider => "rider",
            Self::Driver => "driver",
            Self::Admin => "admin",
            Self::Service => "service",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is none of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl std::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rider" => Ok(Self::Rider),
            "driver" => Ok(Self::Driver),
            "admin" => Ok(Self::Admin),
            "service" => Ok(Self::Service),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

impl TryFrom<String> for Role {
    type Error = UnknownRole;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// The claims of an access token: what odmu_auth signs and what every verifier decodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer (checked against `AUTH_ISSUER`).
    pub iss: String,
    /// Audience: `AUTH_AUDIENCE` for a person's token; for a service's, the names of the
    /// services it calls (`odmu_topology`), so it opens only theirs. One string or an array
    /// on the wire (RFC 7519 §4.1.3).
    #[serde(with = "audience")]
    pub aud: Vec<String>,
    /// Subject: a user id, or a service name for service tokens.
    pub sub: String,
    /// The bearer's role.
    pub role: Role,
    /// Issued at, seconds since the epoch.
    #[serde(default)]
    pub iat: i64,
    /// Not before, seconds since the epoch.
    #[serde(default)]
    pub nbf: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Token id.
    #[serde(default)]
    pub jti: String,
}

impl Claims {
    /// The audience of the service `name`'s tokens: the services it calls, `None` for a name
    /// the service table does not know (which gets no token).
    pub fn service_audience(name: &str) -> Option<Vec<String>> {
        odmu_topology::by_name(name).map(|s| s.calls.iter().map(|c| (*c).to_owned()).collect())
    }

    /// Claims of the service `name`'s token, for the services it calls; `None` for a name the
    /// service table does not know.
    pub fn for_service(issuer: &str, name: &str, ttl: Duration) -> Option<Self> {
        let mut claims = Self::new(issuer, "", name, Role::Service, ttl);
        claims.aud = Self::service_audience(name)?;
        Some(claims)
    }

    /// Claims for `sub` in `role`, valid from now for `ttl`, with a fresh `jti`.
    pub fn new(issuer: &str, audience: &str, sub: &str, role: Role, ttl: Duration) -> Self {
        let now = unix_now();
        Self {
            iss: issuer.to_owned(),
            aud: vec![audience.to_owned()],
            sub: sub.to_owned(),
            role,
            iat: now,
            nbf: now,
            exp: now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            jti: uuid::Uuid::new_v4().to_string(),
        }
    }
}

/// `aud` as RFC 7519 allows it: one string, or an array of them.
mod audience {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }

    pub(super) fn serialize<S: Serializer>(aud: &[String], s: S) -> Result<S::Ok, S::Error> {
        match aud {
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        })
    }
}

/// Seconds since the epoch.
fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    i64::try_from(secs).unwrap_or(i64::MAX)
}
/// Token verification settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `AUTH_URL` (default `http://127.0.0.1:3003`): odmu_auth's base URL.
    pub auth_url: String,
    /// `AUTH_ISSUER` (default `odmu`): the only accepted `iss`.
    pub issuer: String,
    /// `AUTH_AUDIENCE` (default `odmu`): the `aud` a person's token must carry.
    pub audience: String,
    /// The service this verifier guards: a service's token must name it in `aud` (set by the
    /// runtime; `None` accepts no service token).
    pub service: Option<String>,
    /// `AUTH_MAX_TOKEN_LIFETIME_S` (default 3600): a token whose `exp` is further ahead than
    /// this is refused, however it was signed (access tokens live 15 minutes).
    pub max_lifetime: Duration,
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
            service: None,
            max_lifetime: Duration::from_secs(env.parse_or("AUTH_MAX_TOKEN_LIFETIME_S", 3600)?),
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

/// How many verified tokens a process remembers. Each entry is a few hundred bytes; the cache
/// exists for the tokens presented again and again, not to remember every one ever seen.
const VERIFIED_CACHE_CAPACITY: u64 = 10_000;

/// Verifies access tokens. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    config: AuthConfig,
    keys: KeyCache,
    verified: moka::sync::Cache<[u8; 32], Verified>,
}

/// A token that passed full verification, with the key set generation it passed under.
#[derive(Clone)]
struct Verified {
    claims: Arc<Claims>,
    generation: u64,
}

/// Entries leave the cache at the token's `exp`: after that the token must be verified in full
/// (and fail).
struct UntilExpiry;

impl moka::Expiry<[u8; 32], Verified> for UntilExpiry {
    fn expire_after_create(
        &self,
        _key: &[u8; 32],
        value: &Verified,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        let left = value.claims.exp.saturating_sub(unix_now()).max(0);
        Some(Duration::from_secs(u64::try_from(left).unwrap_or(0)))
    }
}

impl Verifier {
    /// A verifier for `config`; keys are fetched on first use (or by [`Verifier::warm`]).
    pub fn new(config: AuthConfig) -> Self {
        let keys = KeyCache::new(
            format!("{}{JWKS_PATH}", config.auth_url),
            config.jwks_min_refresh,
            config.jwks_max_age,
        );
        let verified = moka::sync::Cache::builder()
            .max_capacity(VERIFIED_CACHE_CAPACITY)
            .expire_after(UntilExpiry)
            .build();
        Self {
            inner: Arc::new(Inner {
                config,
                keys,
                verified,
            }),
        }
    }

    /// Fetches the key set ahead of the first request; failures are only logged.
    pub async fn warm(&self) {
        self.inner.keys.refresh().await;
    }

    /// Verifies `token` fully (or finds it verified under the current, fresh key set) and
    /// returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(digest.as_ref());
        // A cached answer counts only while the key set it passed under is current and fresh:
        // a key removed from the JWKS stops its tokens by the next refresh at the latest.
        if let Some(hit) = self.inner.verified.get(&key)
            && hit.generation == self.inner.keys.generation()
            && self.inner.keys.is_fresh()
            && hit.claims.exp > unix_now()
        {
            return Ok(Claims::clone(&hit.claims));
        }
        let generation = self.inner.keys.generation();
        let claims = self.verify_fully(token).await?;
        // Keys that changed while verifying: do not remember this answer under either set.
        if generation == self.inner.keys.generation() {
            self.inner.verified.insert(
                key,
                Verified {
                    claims: Arc::new(claims.clone()),
                    generation,
                },
            );
        }
        Ok(claims)
    }

    async fn verify_fully(&self, token: &str) -> Result<Claims, AuthError> {
        let config = &self.inner.config;
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        if !config.algorithms.contains(&header.alg) {
            return Err(AuthError::Algorithm);
        }
        let kid = header.kid.ok_or(AuthError::UnknownKey)?;
        let key = self.inner.keys.get(&kid).await?;
        if self.inner.keys.take_changed() {
            self.inner.verified.invalidate_all();
        }
        if key.algorithm != header.alg {
            return Err(AuthError::Algorithm);
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&config.issuer]);
        // Either audience passes here; which one the token needs depends on its role, below.
        match &config.service {
            Some(service) => validation.set_audience(&[&config.audience, service]),
            None => validation.set_audience(&[&config.audience]),
        }
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = config.leeway.as_secs();
        let claims = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation)
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
            })?;
        // A person's subject is their account id, which every service keys its rows by
        // (`odmu_ids`); a service token's is the service's name.
        if claims.role != Role::Service && odmu_ids::parse(&claims.sub).is_none() {
            return Err(AuthError::Invalid);
        }
        // A service's token opens only the services it calls; a person's, the platform's.
        let needed = match claims.role {
            Role::Service => config.service.as_deref(),
            _ => Some(config.audience.as_str()),
        };
        if !needed.is_some_and(|aud| claims.aud.iter().any(|a| a == aud)) {
            return Err(AuthError::Invalid);
        }
        // However it was signed, no token lives longer than the longest odmu_auth issues.
        let max =
            i64::try_from((config.max_lifetime + config.leeway).as_secs()).unwrap_or(i64::MAX);
        if claims.exp.saturating_sub(unix_now()) > max {
            return Err(AuthError::Invalid);
        }
        Ok(claims)
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
