//! `{prefix}/openapi.json`: the service's document, with the probes every service has.

use axum::Router;
use axum::routing::get;
use odmu_http::{Json, PROBLEM_JSON, Problem};
use odmu_topology::Service;
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};
use utoipa::{PartialSchema as _, ToSchema as _};

use crate::App;

/// The full document of `A`: its own paths, the probes and the problem schema.
pub fn document<A: App>(service: &Service) -> OpenApi {
    let mut doc = A::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let problem = ResponseBuilder::new()
        .description("Not ready: shutting down, or a check failed.")
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(Problem::name())))
                .build(),
        )
        .build();
    let probes = [
        (
            service.health_path(),
            "health",
            "Liveness: 200 while the process serves.",
            None,
        ),
        (
            service.ready_path(),
            "ready",
            "Readiness: database reachable, migrations applied, not shutting down.",
            Some(problem),
        ),
        (service.openapi_path(), "openapi", "This document.", None),
    ];
    for (path, id, summary, failure) in probes {
        let mut op = OperationBuilder::new()
            .operation_id(Some(id))
            .summary(Some(summary))
            .tag("probes")
            .response("200", ResponseBuilder::new().description("OK").build());
        if let Some(failure) = failure {
            op = op.response("503", failure);
        }
        doc.paths
            .add_path_operation(path, vec![HttpMethod::Get], op.build());
    }
    let components = doc.components.get_or_insert_with(Default::default);
    // Operations that take a token refer to this scheme as `bearer`.
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    components
        .schemas
        .insert(Problem::name().into_owned(), Problem::schema());
    components.schemas.insert(
        odmu_http::FieldError::name().into_owned(),
        odmu_http::FieldError::schema(),
    );
    doc
}

/// The route serving the document; it is built once, at start-up.
pub(crate) fn route<A: App>(service: &Service) -> Router {
    let doc = serde_json::to_value(document::<A>(service)).unwrap_or_default();
    Router::new().route(
        &service.openapi_path(),
        get(move || {
            let doc = doc.clone();
            async move { Json(doc) }
        }),
    )
}
