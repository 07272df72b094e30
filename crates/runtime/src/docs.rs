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
    with_text_rule(doc)
}

/// What every text field refuses (`odmu_http::text`), as a JSON Schema pattern.
const TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";
/// The same for text that must not be blank (what the routes write as `\S`): no control
/// characters, and at least one other non-space (no look-arounds, which fuzzers cannot draw).
const NONBLANK_TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";

/// Writes the kit's rule on control characters into the document: every string schema that
/// has no pattern, format or enum of its own gets [`TEXT_PATTERN`], so a client (or a fuzzer)
/// reads in the contract what the service refuses.
fn with_text_rule(doc: OpenApi) -> OpenApi {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                let is_string = match map.get("type") {
                    Some(serde_json::Value::String(t)) => t == "string",
                    Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                    _ => false,
                };
                if is_string && map.get("pattern").and_then(|p| p.as_str()) == Some(r"\S") {
                    map.insert("pattern".into(), NONBLANK_TEXT_PATTERN.into());
                } else if is_string
                    && !["pattern", "format", "enum", "const"]
                        .iter()
                        .any(|k| map.contains_key(*k))
                {
                    map.insert("pattern".into(), TEXT_PATTERN.into());
                }
                for child in map.values_mut() {
                    walk(child);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let Ok(mut value) = serde_json::to_value(&doc) else {
        return doc;
    };
    // The error answers carry text of ours; the rule is about what requests may hold.
    let errors = value["components"]["schemas"]
        .as_object_mut()
        .map(|schemas| {
            ["Problem", "FieldError"].map(|name| schemas.remove(name).map(|s| (name, s)))
        });
    walk(&mut value);
    if let (Some(errors), Some(schemas)) = (errors, value["components"]["schemas"].as_object_mut())
    {
        for (name, schema) in errors.into_iter().flatten() {
            schemas.insert(name.to_owned(), schema);
        }
    }
    serde_json::from_value(value).unwrap_or(doc)
}

/// The document at `{prefix}/openapi.json` and Swagger UI at `{prefix}/docs`.
pub(crate) fn routes(service: &Service, doc: OpenApi) -> Router {
    let ui =
        utoipa_swagger_ui::SwaggerUi::new(service.docs_path()).url(service.openapi_path(), doc);
    Router::from(ui)
}
