//! Accounts: sign-up (`POST /auth/v1/users`) and the caller's own account (`GET /auth/v1/me`).

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use odmu_authn::{Auth, Role, Verifier, roles};
use odmu_http::{Json, Problem, responses};
use odmu_storage::{now_millis, rfc3339};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::{self, UserRow};
use crate::{AppState, Error};

/// Passwords shorter than this are refused (NIST SP 800-63B asks for at least 8).
pub const PASSWORD_MIN_CHARS: usize = 10;
/// A generous maximum that still bounds the hashing work an attacker can ask for.
pub const PASSWORD_MAX_CHARS: usize = 128;
/// RFC 5321's limit on a forward path.
const EMAIL_MAX: usize = 254;

/// What is wrong with an email or a password (the text is the field message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Over RFC 5321's length.
    #[error("must be at most {EMAIL_MAX} characters")]
    EmailTooLong,
    /// Not `local@domain.tld`.
    #[error("must be an email address")]
    NotAnEmail,
    /// Under the minimum length.
    #[error("must be at least {PASSWORD_MIN_CHARS} characters")]
    PasswordTooShort,
    /// Over the maximum length.
    #[error("must be at most {PASSWORD_MAX_CHARS} characters")]
    PasswordTooLong,
}

/// A normalised email (trimmed, lower-case), or what is wrong with it.
pub fn normalise_email(raw: &str) -> Result<String, CredentialError> {
    let email = raw.trim().to_lowercase();
    if email.len() > EMAIL_MAX {
        return Err(CredentialError::EmailTooLong);
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(CredentialError::NotAnEmail);
    };
    let valid = !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(CredentialError::NotAnEmail)
    }
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<(), CredentialError> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        Err(CredentialError::PasswordTooShort)
    } else if chars > PASSWORD_MAX_CHARS {
        Err(CredentialError::PasswordTooLong)
    } else {
        Ok(())
    }
}

/// A sign-up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Login email; stored trimmed and lower-case.
    #[schema(example = "ada@example.com", format = "email", max_length = 254)]
    pub email: String,
    /// 10 to 128 characters.
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
    /// `rider` or `driver` for anyone; `admin` needs an admin's token.
    #[schema(value_type = String, example = "rider", pattern = "^(rider|driver|admin)$")]
    pub role: Role,
}

/// An account as others may see it (never the hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// The account id (the `sub` of its tokens).
    pub id: String,
    /// Login email.
    pub email: String,
    /// `rider`, `driver` or `admin`.
    #[schema(value_type = String, example = "rider")]
    pub role: Role,
    /// RFC 3339 UTC.
    pub created_at: String,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        Self {
            id: u.id,
            email: u.email,
            role: u.role,
            created_at: rfc3339(u.created_at_ms),
        }
    }
}

/// Creates an account. Email and password are checked, the password hashed with Argon2id.
#[utoipa::path(
    post, path = "/v1/users", tag = "accounts", security((), ("bearer" = [])),
    request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 401, description = "`admin` asked without a token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`admin` asked by a non-admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-ups from this address (`AUTH_SIGNUP_LIMIT_PER_ADDRESS` per hour): retry after `Retry-After` seconds (`reason` `signup_rate_limited`)", body = Problem, content_type = "application/problem+json"),
        responses::JsonBody,
        responses::Always,
    )
)]
pub async fn create_user(
    State(state): State<AppState>,
    State(verifier): State<Verifier>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Json(new): Json<NewUser>,
) -> Result<(StatusCode, Json<UserView>), Error> {
    // Before anything costly: every sign-up costs a hash and tells whether an email is taken.
    let address = crate::oauth::client_address(&headers, peer, &state.config().trusted_proxies);
    if let Err(wait) = state.limits().check_signup(&address) {
        let seconds = wait.as_secs() + 1;
        let mut problem = Problem::new(StatusCode::TOO_MANY_REQUESTS)
            .with_detail(format!(
                "Too many sign-ups from this address; try again in {seconds} s."
            ))
            .with_type("urn:odmu:problem:signup_rate_limited")
            .with_extension("reason", serde_json::json!("signup_rate_limited"));
        if let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
            problem = problem.with_header(axum::http::header::RETRY_AFTER, value);
        }
        return Err(problem.into());
    }
    let mut problem = Problem::unprocessable("The account cannot be created as asked.");
    let email = normalise_email(&new.email);
    if let Err(m) = &email {
        problem = problem.with_field_error("email", m.to_string());
    }
    if let Err(m) = check_password(&new.password) {
        problem = problem.with_field_error("password", m.to_string());
    }
    // A service is a client of the token endpoint, never an account.
    if new.role == Role::Service {
        problem = problem.with_field_error("role", "must be rider, driver or admin");
    }
    let (Ok(email), true) = (email, problem.errors.is_empty()) else {
        return Err(problem.into());
    };
    if new.role == Role::Admin {
        let token = odmu_authn::bearer_token(&headers)?;
        let claims = verifier.verify(token).await?;
        if claims.role != Role::Admin {
            return Err(odmu_authn::AuthError::Forbidden.into());
        }
    }
    let hash = state.hash_password(new.password).await?;
    let user = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        email,
        password_hash: hash,
        role: new.role,
        created_at_ms: now_millis(),
    };
    if !store::insert_user(state.db(), &user).await? {
        return Err(Problem::conflict("An account with this email exists.").into());
    }
    tracing::info!(user_id = %user.id, role = %user.role, "account created");
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// The caller's own account.
#[utoipa::path(
    get, path = "/v1/me", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = UserView),
        (status = 404, description = "The account no longer exists", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
    )
)]
pub async fn me(
    State(state): State<AppState>,
    auth: Auth<roles::User>,
) -> Result<Json<UserView>, Error> {
    let user = store::user_by_id(state.db(), &auth.claims.sub)
        .await?
        .ok_or_else(|| Problem::not_found("The account no longer exists."))?;
    Ok(Json(user.into()))
}

/// Creates the bootstrap admin (the caller checked that the email is free; a concurrent start
/// of another task that wins the insert is fine: its admin is the same).
pub async fn bootstrap_admin(
    db: &odmu_storage::Db,
    email: &str,
    password: &str,
) -> Result<(), odmu_runtime::BoxError> {
    let password = password.to_owned();
    let hash =
        tokio::task::spawn_blocking(move || crate::password::Passwords::new().hash(&password))
            .await??;
    let user = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        email: email.to_owned(),
        password_hash: hash,
        role: Role::Admin,
        created_at_ms: now_millis(),
    };
    if store::insert_user(db, &user).await? {
        tracing::info!(user_id = %user.id, "bootstrap admin created");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalise_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@.com",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad:?}");
        }
        assert!(normalise_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn passwords_have_a_floor_and_a_ceiling() {
        assert!(check_password("123456789").is_err());
        assert!(check_password("1234567890").is_ok());
        assert!(check_password(&"é".repeat(128)).is_ok());
        assert!(check_password(&"x".repeat(129)).is_err());
    }
}
