//! The OAuth 2.0 token endpoint (RFC 6749) and token revocation (RFC 7009). This endpoint alone
//! answers errors in RFC 6749's format instead of problem+json.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use odmu_authn::{Claims, Role};
use odmu_http::{Problem, responses};
use odmu_storage::now_millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::store::{self, NewRefresh, NextRefresh, Rotation};

/// Longest accepted value of any field: bounds work and storage for garbage input.
const FIELD_MAX: usize = 512;

/// An RFC 6749 §5.2 error answer.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    retry_after: Option<Duration>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            retry_after: None,
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    fn invalid_client() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The client id or secret is wrong.",
        )
    }

    pub(crate) fn server(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "token endpoint failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The server could not issue a token; it has been logged.",
        )
    }

    /// 429 with `Retry-After`; `slow_down` (RFC 8628) is the registered code that says it.
    pub fn slow_down(wait: Duration) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            "Too many login attempts; retry later.",
        );
        e.retry_after = Some(wait);
        e
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = OAuthErrorBody {
            error: self.error.to_owned(),
            error_description: self.description,
        };
        let mut response = (self.status, no_store(), axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"odmu\""),
            );
        }
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}

fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// A token request, as JSON or as a form (RFC 6749 uses forms; both are accepted).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `password`, `refresh_token` or `client_credentials`.
    #[schema(value_type = String, pattern = "^(password|refresh_token|client_credentials)$")]
    pub grant_type: Option<String>,
    /// For `password` (`username` is accepted too).
    #[serde(alias = "username")]
    #[schema(
        min_length = 1,
        max_length = 512,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub email: Option<String>,
    /// For `password`.
    #[schema(
        min_length = 1,
        max_length = 512,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub password: Option<String>,
    /// For `refresh_token`.
    #[schema(
        min_length = 1,
        max_length = 512,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub refresh_token: Option<String>,
    /// For `client_credentials` (or HTTP Basic).
    #[schema(
        min_length = 1,
        max_length = 512,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub client_id: Option<String>,
    /// For `client_credentials` (or HTTP Basic).
    #[schema(
        min_length = 1,
        max_length = 512,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub client_secret: Option<String>,
}

/// RFC 6749 §5.1.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT, EdDSA-signed.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Opaque; single use (each use returns the next one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// An RFC 6749 §5.2 error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_grant`, `invalid_client`, `unsupported_grant_type`,
    /// `slow_down` or `server_error`.
    pub error: String,
    /// For a developer to read.
    pub error_description: String,
}

/// A revocation request (RFC 7009).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// The token to revoke.
    #[schema(value_type = String, min_length = 1, max_length = 512, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub token: Option<String>,
    /// Ignored: only refresh tokens can be revoked (access tokens live 15 minutes).
    #[schema(
        min_length = 1,
        max_length = 512,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub token_type_hint: Option<String>,
}

fn parse_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes(body)
            .map_err(|e| OAuthError::invalid_request(format!("The form is malformed: {e}")))
    } else if mime.eq_ignore_ascii_case("application/json") {
        serde_json::from_slice(body)
            .map_err(|e| OAuthError::invalid_request(format!("The JSON body is malformed: {e}")))
    } else {
        Err(OAuthError::invalid_request(
            "Send application/x-www-form-urlencoded or application/json.",
        ))
    }
}

fn field<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, OAuthError> {
    match value.as_deref() {
        None | Some("") => Err(OAuthError::invalid_request(format!(
            "`{name}` is required."
        ))),
        Some(v) if v.len() > FIELD_MAX => Err(OAuthError::invalid_request(format!(
            "`{name}` is longer than {FIELD_MAX} bytes."
        ))),
        // No credential, token or identifier has a line break or another control character.
        Some(v) if v.chars().any(char::is_control) => Err(OAuthError::invalid_request(format!(
            "`{name}` holds control characters."
        ))),
        Some(v) => Ok(v),
    }
}

/// SHA-256 of a refresh token or client secret, hex.
pub fn sha256_hex(value: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, value.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random_token() -> Result<String, OAuthError> {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| OAuthError::server("no randomness"))?;
    Ok(format!("rt_{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The client address for rate limiting. Behind a trusted load balancer (the peer is in
/// `trusted`), the last `X-Forwarded-For` entry: the balancer appends the address it saw, the
/// one entry no client can forge. From anyone else the header is the caller's own words, so
/// the peer itself is the client.
pub(crate) fn client_address(
    headers: &HeaderMap,
    peer: SocketAddr,
    trusted: &[ipnet::IpNet],
) -> String {
    let peer_ip = peer.ip().to_canonical();
    if !trusted.iter().any(|net| net.contains(&peer_ip)) {
        return peer_ip.to_string();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|v| !v.is_empty())
        .and_then(|v| v.parse::<std::net::IpAddr>().ok())
        .map_or_else(|| peer_ip.to_string(), |ip| ip.to_canonical().to_string())
}

impl AppState {
    fn access_token(&self, sub: &str, role: Role) -> Result<String, OAuthError> {
        let config = self.config();
        let claims = match role {
            // A service's token opens only the services it calls (the service table).
            Role::Service => Claims::for_service(&config.issuer, sub, config.access_ttl)
                .ok_or_else(OAuthError::invalid_client)?,
            _ => Claims::new(
                &config.issuer,
                &config.audience,
                sub,
                role,
                config.access_ttl,
            ),
        };
        config
            .keys
            .current
            .sign(&claims)
            .map_err(OAuthError::server)
    }

    fn issued(
        &self,
        sub: &str,
        role: Role,
        refresh: Option<String>,
    ) -> Result<Response, OAuthError> {
        let body = TokenResponse {
            access_token: self.access_token(sub, role)?,
            token_type: "Bearer".into(),
            expires_in: self.config().access_ttl.as_secs(),
            refresh_token: refresh,
        };
        Ok((StatusCode::OK, no_store(), axum::Json(body)).into_response())
    }

    async fn password_grant(
        &self,
        req: &TokenRequest,
        address: &str,
    ) -> Result<Response, OAuthError> {
        let email = field(&req.email, "email")?;
        let password = field(&req.password, "password")?;
        // Malformed emails cannot exist; they still cost a hash, like any unknown account.
        let email = crate::users::normalise_email(email).unwrap_or_default();
        self.limits().check_login(address, &email)?;
        let user = store::user_by_email(self.db(), &email).await?;
        let ok = self
            .verify_password(
                password.to_owned(),
                user.as_ref().map(|u| u.password_hash.clone()),
            )
            .await?;
        let Some(user) = user.filter(|_| ok) else {
            tracing::info!(security_event = "login_failed", "login failed");
            return Err(OAuthError::invalid_grant("The email or password is wrong."));
        };
        let refresh = random_token()?;
        let now = now_millis();
        store::insert_refresh(
            self.db(),
            &NewRefresh {
                id: &uuid::Uuid::new_v4().to_string(),
                token_hash: &sha256_hex(&refresh),
                family_id: &uuid::Uuid::new_v4().to_string(),
                user_id: &user.id,
                issued_at_ms: now,
                expires_at_ms: now + self.config().refresh_ttl.as_millis() as i64,
            },
        )
        .await?;
        self.issued(&user.id, user.role, Some(refresh))
    }

    async fn refresh_grant(&self, req: &TokenRequest) -> Result<Response, OAuthError> {
        let presented = field(&req.refresh_token, "refresh_token")?;
        let next = random_token()?;
        let next_hash = sha256_hex(&next);
        let next_id = uuid::Uuid::new_v4().to_string();
        let now = now_millis();
        let expires = now + self.config().refresh_ttl.as_millis() as i64;
        let next_row = NextRefresh {
            id: &next_id,
            token_hash: &next_hash,
            issued_at_ms: now,
            expires_at_ms: expires,
        };
        let rotation =
            store::rotate_refresh(self.db(), &sha256_hex(presented), now, &next_row).await?;
        let user_id = match rotation {
            Rotation::Rotated { user_id } => user_id,
            Rotation::Reused { user_id, family_id } => {
                tracing::warn!(
                    security_event = "refresh_token_reuse",
                    %user_id, %family_id,
                    "a spent refresh token was presented again; its family is revoked"
                );
                return Err(OAuthError::invalid_grant("The refresh token is not valid."));
            }
            Rotation::Invalid => {
                return Err(OAuthError::invalid_grant("The refresh token is not valid."));
            }
        };
        let user = store::user_by_id(self.db(), &user_id)
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("The account no longer exists."))?;
        self.issued(&user.id, user.role, Some(next))
    }

    fn client_credentials_grant(
        &self,
        req: &TokenRequest,
        headers: &HeaderMap,
    ) -> Result<Response, OAuthError> {
        let (id, secret) = match basic_credentials(headers)? {
            Some(pair) => pair,
            None => (
                field(&req.client_id, "client_id")?.to_owned(),
                field(&req.client_secret, "client_secret")?.to_owned(),
            ),
        };
        let presented = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
        let expected = self.config().service_clients.get(&id);
        // Compare every byte whatever the client, so timing says nothing about ids or prefixes.
        let same = expected.is_some_and(|e| {
            e.iter()
                .zip(presented.as_ref())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        });
        if !same {
            tracing::info!(security_event = "client_auth_failed", client_id = %id.chars().take(64).collect::<String>(), "client authentication failed");
            return Err(OAuthError::invalid_client());
        }
        self.issued(&id, Role::Service, None)
    }
}

fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| OAuthError::invalid_client())?;
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Ok(None);
    };
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(OAuthError::invalid_client)?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(OAuthError::invalid_client)?;
    Ok(Some((id.to_owned(), secret.to_owned())))
}

/// Issues tokens: `password` (access + refresh), `refresh_token` (rotates: the presented
/// token is spent; presenting it again revokes its whole family) and `client_credentials`
/// (service tokens, `role: service`, `sub` = the service's name).
#[utoipa::path(
    post, path = "/v1/token", tag = "tokens",
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
        (TokenRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "Issued", body = TokenResponse),
        (status = 400, description = "RFC 6749 error: invalid_request, invalid_grant, unsupported_grant_type", body = OAuthErrorBody),
        (status = 401, description = "RFC 6749 error: invalid_client", body = OAuthErrorBody),
        (status = 413, description = "The body is larger than 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many login attempts (`Retry-After`)", body = OAuthErrorBody),
        (status = 500, description = "RFC 6749 error: server_error", body = OAuthErrorBody),
        responses::Always,
    )
)]
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let req: TokenRequest = parse_body(&headers, &body)?;
        match field(&req.grant_type, "grant_type")? {
            "password" => {
                let address = client_address(&headers, peer, &state.config().trusted_proxies);
                state.password_grant(&req, &address).await
            }
            "refresh_token" => state.refresh_grant(&req).await,
            "client_credentials" => state.client_credentials_grant(&req, &headers),
            _ => Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Use password, refresh_token or client_credentials.",
            )),
        }
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Revokes a refresh token and every token of its family. Answers 200 whether or not the
/// token was known, as RFC 7009 asks.
#[utoipa::path(
    post, path = "/v1/revoke", tag = "tokens",
    request_body(content(
        (RevokeRequest = "application/x-www-form-urlencoded"),
        (RevokeRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "Revoked, or nothing to revoke"),
        (status = 400, description = "RFC 6749 error: invalid_request", body = OAuthErrorBody),
        (status = 413, description = "The body is larger than 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "RFC 6749 error: server_error", body = OAuthErrorBody),
        responses::Always,
    )
)]
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let req: RevokeRequest = parse_body(&headers, &body)?;
        let token = field(&req.token, "token")?;
        // The hint is ignored (RFC 7009 lets a server), but it is text like any other.
        if req.token_type_hint.is_some() {
            field(&req.token_type_hint, "token_type_hint")?;
        }
        store::revoke_family_of(state.db(), &sha256_hex(token), now_millis()).await?;
        Ok::<_, OAuthError>((StatusCode::OK, no_store()).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// The public keys that verify odmu's tokens: the current one and, during a rotation, the
/// previous one. Verifiers cache it; a new `kid` makes them fetch it again.
#[utoipa::path(
    get, path = "/.well-known/jwks.json", tag = "tokens",
    responses((status = 200, description = "RFC 7517 JSON Web Key Set"), responses::Always)
)]
pub async fn jwks(State(state): State<AppState>) -> Response {
    (
        [(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        )],
        axum::Json(state.config().keys.jwks()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_is_the_last_forwarded_entry_behind_a_trusted_proxy_only() {
        let vpc: Vec<ipnet::IpNet> = vec!["10.0.0.0/16".parse().unwrap()];
        let balancer: SocketAddr = "10.0.0.9:5555".parse().unwrap();
        let stranger: SocketAddr = "198.51.100.4:5555".parse().unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(client_address(&h, balancer, &vpc), "10.0.0.9");
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.7"),
        );
        assert_eq!(client_address(&h, balancer, &vpc), "203.0.113.7");
        // Finding: directly on the service, a rotating header never met the limit.
        assert_eq!(client_address(&h, stranger, &vpc), "198.51.100.4");
        // A forged entry that is not an address is not believed either.
        h.insert("x-forwarded-for", HeaderValue::from_static("not-an-ip"));
        assert_eq!(client_address(&h, balancer, &vpc), "10.0.0.9");
        // IPv4 seen as IPv6 (a dual-stack listener) is the same client.
        let mapped: SocketAddr = "[::ffff:198.51.100.4]:1".parse().unwrap();
        assert_eq!(
            client_address(&HeaderMap::new(), mapped, &vpc),
            "198.51.100.4"
        );
    }

    #[test]
    fn refresh_tokens_are_random_and_hashes_stable() {
        let a = random_token().unwrap();
        assert!(a.starts_with("rt_") && a.len() == 46, "{a}");
        assert_ne!(a, random_token().unwrap());
        assert_eq!(sha256_hex("abc").len(), 64);
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
