//! The axum side: bearer-token extractors, role guards and a layer for whole routers.

use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use odmu_http::Problem;
use odmu_ids::{DriverId, RiderId};

use crate::{AuthError, Claims, Role, Verifier};

/// The claims of the request's verified bearer token (any role).
#[derive(Debug, Clone)]
pub struct Authenticated(pub Claims);

impl Authenticated {
    /// The claims, if the bearer has one of `roles`; 403 otherwise.
    pub fn require(&self, roles: &[Role]) -> Result<&Claims, Problem> {
        if roles.contains(&self.0.role) {
            Ok(&self.0)
        } else {
            Err(AuthError::Forbidden.into())
        }
    }
}

/// The bearer token of a request's headers.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = headers
        .get(AUTHORIZATION)
        .ok_or(AuthError::MissingToken)?
        .to_str()
        .map_err(|_| AuthError::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Malformed);
    }
    Ok(token.trim())
}

async fn claims_of(parts: &mut Parts, verifier: &Verifier) -> Result<Claims, AuthError> {
    // Verified once per request, even when a layer and a handler both ask.
    if let Some(claims) = parts.extensions.get::<Claims>() {
        return Ok(claims.clone());
    }
    let claims = verifier.verify(bearer_token(&parts.headers)?).await?;
    parts.extensions.insert(claims.clone());
    Ok(claims)
}

impl<S> FromRequestParts<S> for Authenticated
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        Ok(Self(claims_of(parts, &verifier).await?))
    }
}

/// A set of roles allowed through an [`Auth`] guard.
pub trait Roles: Send + Sync + 'static {
    /// The roles allowed.
    const ALLOWED: &'static [Role];
}

/// The role sets an [`Auth`] guard can ask for: `Auth<roles::Driver>`.
pub mod roles {
    use super::Roles;
    use crate::Role;

    macro_rules! role_sets {
        ($($(#[$doc:meta])* $name:ident => [$($role:ident),+];)+) => {$(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Roles for $name {
                const ALLOWED: &'static [Role] = &[$(Role::$role),+];
            }
        )+};
    }

    role_sets! {
        /// Riders only.
        Rider => [Rider];
        /// Drivers only.
        Driver => [Driver];
        /// Admins only.
        Admin => [Admin];
        /// Other odmu services, with a `client_credentials` token (internal endpoints).
        ServiceCaller => [Service];
        /// Riders, or services acting for them.
        RiderOrService => [Rider, Service];
        /// A rider, an admin, or a service.
        RiderAdminOrService => [Rider, Admin, Service];
        /// Drivers or admins.
        DriverOrAdmin => [Driver, Admin];
        /// Riders or admins.
        RiderOrAdmin => [Rider, Admin];
        /// Any person with an account (not a service).
        User => [Rider, Driver, Admin];
        /// Anyone with a valid token.
        Anyone => [Rider, Driver, Admin, Service];
    }
}

/// A verified token whose role is in `R`: 401 without a valid token, 403 with another role.
#[derive(Debug, Clone)]
pub struct Auth<R: Roles> {
    /// The token's claims.
    pub claims: Claims,
    /// The subject as an account id (nil for a service).
    account: uuid::Uuid,
    _roles: PhantomData<R>,
}

impl<R: Roles> Auth<R> {
    /// The caller's account id as `T` (`RiderId`, `DriverId`, ...); `None` for a service.
    pub fn account<T: From<uuid::Uuid>>(&self) -> Option<T> {
        (self.claims.role != Role::Service).then(|| self.account.into())
    }
}

impl Auth<roles::Rider> {
    /// The calling rider's account id.
    pub fn rider(&self) -> RiderId {
        self.account.into()
    }
}

impl Auth<roles::Driver> {
    /// The calling driver's account id.
    pub fn driver(&self) -> DriverId {
        self.account.into()
    }
}

impl<S, R> FromRequestParts<S> for Auth<R>
where
    Verifier: FromRef<S>,
    S: Send + Sync,
    R: Roles,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        let claims = claims_of(parts, &verifier).await?;
        if !R::ALLOWED.contains(&claims.role) {
            return Err(AuthError::Forbidden.into());
        }
        // `Verifier::verify` has refused a person's token whose subject is not a UUID.
        let account = match claims.role {
            Role::Service => uuid::Uuid::nil(),
            _ => odmu_ids::parse(&claims.sub).ok_or(AuthError::Invalid)?,
        };
        Ok(Self {
            claims,
            account,
            _roles: PhantomData,
        })
    }
}

/// Middleware for a whole router: refuses requests without a valid token before routing to
/// the handler (`.route_layer(middleware::from_fn_with_state(verifier, require_token))`).
pub async fn require_token(
    State(verifier): State<Verifier>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    match claims_of(&mut parts, &verifier).await {
        Ok(_) => next.run(Request::from_parts(parts, body)).await,
        Err(e) => Problem::from(e).into_response(),
    }
}
