//! `{prefix}/openapi.json` (the service's document, with the probes every service has) and
//! `{prefix}/docs` (Swagger UI for that document, its assets vendored into the binary).

use axum::Router;
use odmu_http::Problem;
use odmu_topology::Service;
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, ResponseBuilder};
use utoipa::{PartialSchema as _, ToSchema as _};

/// The document a service's routes are collected into: its title and description.
pub(crate) fn base(service: &Service, description: &str) -> OpenApi {
    let mut doc = OpenApi::default();
    doc.info = InfoBuilder::new()
        .title(service.name)
        .description(Some(description))
        .version(env!("CARGO_PKG_VERSION"))
        .build();
    doc
}

/// Adds what every service has: the probes, the bearer scheme and the problem schemas.
pub(crate) fn finish(mut doc: OpenApi, service: &Service) -> OpenApi {
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
            Some(odmu_http::responses::problem(
                "Not ready: shutting down, or a check failed.",
            )),
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

/// The document at `{prefix}/openapi.json` and Swagger UI at `{prefix}/docs`.
pub(crate) fn routes(service: &Service, doc: OpenApi) -> Router {
    let ui =
        utoipa_swagger_ui::SwaggerUi::new(service.docs_path()).url(service.openapi_path(), doc);
    Router::from(ui)
}
