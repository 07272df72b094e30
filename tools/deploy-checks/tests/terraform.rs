//! The Terraform under `terraform/` agrees with the one service table, and keeps the properties
//! production depends on: every service gets its repository, task definition, service, target group
//! on its health path and port, path rule and log group; deployments roll back; no task has a public
//! IP; internal and metrics paths answer 404 on the public listener before any service rule.
//!
//! `terraform validate` cannot run here (the provider registry is unreachable), so this parses the
//! HCL and checks its structure. Change a port or a prefix in one place: this fails.

use std::path::{Path, PathBuf};

use hcl::{Block, Body, Expression};
use odmu_topology::{SERVICES, Service};

const ENVIRONMENTS: [&str; 2] = ["staging", "production"];

fn terraform_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../terraform")
}

/// Every `.tf` file of a folder, parsed and concatenated into one body (Terraform's own view).
fn module(folder: &str) -> Body {
    let dir = terraform_dir().join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    let mut structures = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let body = hcl::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        structures.extend(body.0);
    }
    Body(structures)
}

/// Blocks of a body with this identifier whose labels start with `labels`.
fn blocks<'a>(
    body: &'a Body,
    ident: &'a str,
    labels: &'a [&str],
) -> impl Iterator<Item = &'a Block> {
    body.blocks().filter(move |b| {
        b.identifier() == ident
            && b.labels().len() >= labels.len()
            && b.labels()
                .iter()
                .zip(labels)
                .all(|(l, want)| l.as_str() == *want)
    })
}

/// The one block with this identifier and these labels.
fn block<'a>(body: &'a Body, ident: &'a str, labels: &'a [&str]) -> &'a Block {
    let found: Vec<_> = blocks(body, ident, labels).collect();
    assert_eq!(found.len(), 1, "exactly one {ident} {labels:?}");
    found[0]
}

fn attr<'a>(body: &'a Body, key: &str) -> &'a Expression {
    body.attributes()
        .find(|a| a.key() == key)
        .map(|a| a.expr())
        .unwrap_or_else(|| panic!("attribute {key} is missing"))
}

/// An expression as HCL source, without the quotes of a string or template.
fn source(expr: &Expression) -> String {
    expr.to_string().trim_matches('"').to_owned()
}

fn number(expr: &Expression) -> i64 {
    match expr {
        Expression::Number(n) => n.as_i64().unwrap(),
        other => panic!("{other} is not a literal number"),
    }
}

fn object_entry<'a>(expr: &'a Expression, key: &str) -> Option<&'a Expression> {
    let Expression::Object(object) = expr else {
        panic!("{expr} is not an object")
    };
    object.iter().find_map(|(k, v)| {
        let name = k.to_string().trim_matches('"').to_owned();
        (name == key).then_some(v)
    })
}

/// The default of the environment module's `services` variable: the typed map of the five services.
fn services_map() -> Expression {
    let env = module("modules/environment");
    attr(block(&env, "variable", &["services"]).body(), "default").clone()
}

fn service_entry<'a>(map: &'a Expression, s: &Service) -> &'a Expression {
    object_entry(map, s.name).unwrap_or_else(|| panic!("{} is in the services map", s.name))
}

/// An environment's root module (`environments/<env>`): one call of `modules/environment`.
fn environment_call(env: &Body, environment: &str) -> Body {
    let call = block(env, "module", &["environment"]).body();
    assert_eq!(
        source(attr(call, "source")),
        "../../modules/environment",
        "{environment}"
    );
    assert_eq!(source(attr(call, "environment")), environment);
    call.clone()
}

#[test]
fn every_environment_calls_the_environment_module_once_and_only_sizes_differ() {
    for environment in ENVIRONMENTS {
        let env = module(&format!("environments/{environment}"));
        assert_eq!(blocks(&env, "module", &[]).count(), 1, "{environment}");
        let call = environment_call(&env, environment);
        assert!(
            call.attributes().all(|a| a.key() != "services"),
            "{environment}: the service table is the module's, not the environment's"
        );
    }
}

#[test]
fn per_service_sizes_name_table_services_and_valid_fargate_sizes() {
    // Fargate's CPU units and the memory (MiB) each allows.
    let fits = |cpu: i64, memory: i64| match cpu {
        256 => [512, 1024, 2048].contains(&memory),
        512 => (1024..=4096).contains(&memory) && memory % 1024 == 0,
        1024 => (2048..=8192).contains(&memory) && memory % 1024 == 0,
        2048 => (4096..=16384).contains(&memory) && memory % 1024 == 0,
        4096 => (8192..=30720).contains(&memory) && memory % 1024 == 0,
        _ => false,
    };
    for environment in ENVIRONMENTS {
        let env = module(&format!("environments/{environment}"));
        let call = environment_call(&env, environment);
        let tasks = attr(&call, "service_tasks");
        let base_cpu = object_entry(tasks, "cpu").map_or(256, number);
        let base_memory = object_entry(tasks, "memory").map_or(512, number);
        let Some(sizes) = call.attributes().find(|a| a.key() == "service_sizes") else {
            continue;
        };
        let Expression::Object(sizes) = sizes.expr() else {
            panic!("{environment}: service_sizes is an object")
        };
        for (name, size) in sizes.iter() {
            let name = name.to_string().trim_matches('"').to_owned();
            assert!(
                SERVICES.iter().any(|s| s.name == name),
                "{environment}: service_sizes names {name}, which is not in the service table"
            );
            let cpu = object_entry(size, "cpu").map_or(base_cpu, number);
            let memory = object_entry(size, "memory").map_or(base_memory, number);
            assert!(
                fits(cpu, memory),
                "{environment}: {name} asks for {cpu} CPU units with {memory} MiB, not a Fargate size"
            );
        }
    }
}

#[test]
fn the_environments_map_exactly_the_table_services_with_their_ports_prefixes_and_health_paths() {
    let map = services_map();
    let Expression::Object(object) = &map else {
        panic!("services default is an object")
    };
    assert_eq!(object.len(), SERVICES.len(), "five services");
    for s in &SERVICES {
        let entry = service_entry(&map, s);
        let field = |key: &str| {
            object_entry(entry, key).unwrap_or_else(|| panic!("{}.{key} is set", s.name))
        };
        assert_eq!(number(field("port")), i64::from(s.port), "{} port", s.name);
        assert_eq!(source(field("prefix")), s.prefix, "{} prefix", s.name);
        assert_eq!(
            source(field("health_path")),
            s.health_path(),
            "{} health path",
            s.name
        );
        assert_eq!(source(field("url_var")), s.url_var, "{} url_var", s.name);
        let Expression::Array(calls) = field("calls") else {
            panic!("{}.calls is a list", s.name)
        };
        let calls: Vec<String> = calls.iter().map(source).collect();
        assert_eq!(calls, s.calls, "{} calls", s.name);
    }
}

#[test]
fn the_service_module_declares_every_resource_a_service_needs() {
    let m = module("modules/ecs-service");
    for kind in [
        "aws_ecr_repository",
        "aws_ecs_task_definition",
        "aws_ecs_service",
        "aws_lb_target_group",
        "aws_lb_listener_rule",
        "aws_cloudwatch_log_group",
        "aws_security_group",
        "aws_appautoscaling_target",
    ] {
        block(&m, "resource", &[kind, "this"]);
    }

    let repo = block(&m, "resource", &["aws_ecr_repository", "this"]).body();
    assert_eq!(source(attr(repo, "image_tag_mutability")), "IMMUTABLE");

    let log_group = block(&m, "resource", &["aws_cloudwatch_log_group", "this"]).body();
    assert_eq!(source(attr(log_group, "name")), "/ecs/${var.name}");

    let target_group = block(&m, "resource", &["aws_lb_target_group", "this"]).body();
    assert_eq!(source(attr(target_group, "port")), "var.port");
    assert_eq!(source(attr(target_group, "target_type")), "ip");
    let health_check = block(target_group, "health_check", &[]).body();
    assert_eq!(source(attr(health_check, "path")), "var.health_path");

    let rule = block(&m, "resource", &["aws_lb_listener_rule", "this"]).body();
    let condition = block(rule, "condition", &[]).body();
    let Expression::Array(values) = attr(block(condition, "path_pattern", &[]).body(), "values")
    else {
        panic!("path_pattern values is a list")
    };
    let values: Vec<String> = values.iter().map(source).collect();
    assert_eq!(values, ["var.prefix", "${var.prefix}/*"]);

    // The environment module wires the map's fields into exactly those variables.
    let env = module("modules/environment");
    let call = block(&env, "module", &["service"]).body();
    assert_eq!(source(attr(call, "source")), "../../modules/ecs-service");
    assert_eq!(source(attr(call, "for_each")), "local.services");
    let services = attr(block(&env, "locals", &[]).body(), "services");
    assert!(source(services).contains("for k, s in var.services"));
    for (input, field) in [
        ("port", "port"),
        ("prefix", "prefix"),
        ("health_path", "health_path"),
    ] {
        assert_eq!(source(attr(call, input)), format!("each.value.{field}"));
    }
    assert_eq!(source(attr(call, "name")), "each.key");
}

#[test]
fn the_task_definition_uses_the_port_and_the_binary_healthcheck() {
    let m = module("modules/ecs-service");
    let task = block(&m, "resource", &["aws_ecs_task_definition", "this"]).body();
    let containers = source(attr(task, "container_definitions"));
    for needle in [
        "containerPort = var.port",
        "readonlyRootFilesystem = true",
        "\"/usr/local/bin/service\", \"healthcheck\"",
        "stopTimeout = var.stop_timeout",
    ] {
        let squashed: String = containers.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            squashed.contains(needle),
            "task definition has {needle}: {squashed}"
        );
    }
    assert_eq!(source(attr(task, "network_mode")), "awsvpc");
}

#[test]
fn services_roll_back_failed_deployments_get_no_public_ip_and_leave_the_image_to_the_pipeline() {
    let m = module("modules/ecs-service");
    let service = block(&m, "resource", &["aws_ecs_service", "this"]).body();

    let breaker = block(service, "deployment_circuit_breaker", &[]).body();
    assert_eq!(attr(breaker, "enable"), &Expression::Bool(true));
    assert_eq!(attr(breaker, "rollback"), &Expression::Bool(true));

    let network = block(service, "network_configuration", &[]).body();
    assert_eq!(attr(network, "assign_public_ip"), &Expression::Bool(false));

    assert_eq!(
        number(attr(service, "deployment_minimum_healthy_percent")),
        100
    );
    assert_eq!(number(attr(service, "deployment_maximum_percent")), 200);

    let lifecycle = block(service, "lifecycle", &[]).body();
    let ignored = source(attr(lifecycle, "ignore_changes"));
    assert!(
        ignored.contains("task_definition"),
        "ignore_changes: {ignored}"
    );
}

#[test]
fn internal_and_metrics_paths_answer_404_before_any_service_rule() {
    let lb = module("modules/load-balancer");
    let blocking: Vec<(i64, Vec<String>)> = blocks(&lb, "resource", &["aws_lb_listener_rule"])
        .map(|rule| {
            let body = rule.body();
            assert_eq!(
                source(attr(body, "listener_arn")),
                "aws_lb_listener.https.arn"
            );
            let action = block(body, "action", &[]).body();
            assert_eq!(source(attr(action, "type")), "fixed-response");
            let fixed = block(action, "fixed_response", &[]).body();
            assert_eq!(source(attr(fixed, "status_code")), "404");
            let condition = block(body, "condition", &[]).body();
            let Expression::Array(values) =
                attr(block(condition, "path_pattern", &[]).body(), "values")
            else {
                panic!("path_pattern values is a list")
            };
            assert!(values.len() <= 5, "an ALB condition holds at most 5 values");
            (
                number(attr(body, "priority")),
                values.iter().map(source).collect(),
            )
        })
        .collect();
    // The listener blocks exactly the list the local gateway blocks (odmu_topology).
    let mut patterns: Vec<&str> = blocking
        .iter()
        .flat_map(|(_, v)| v)
        .map(String::as_str)
        .collect();
    patterns.sort_unstable();
    let mut expected = odmu_topology::PRIVATE_PATH_PATTERNS.to_vec();
    expected.sort_unstable();
    assert_eq!(patterns, expected);
    let last_blocking = blocking.iter().map(|(p, _)| *p).max().unwrap();

    let map = services_map();
    for s in &SERVICES {
        let priority = number(object_entry(service_entry(&map, s), "priority").unwrap());
        assert!(
            priority > last_blocking,
            "{} rule {priority} comes after the 404 rules",
            s.name
        );
    }

    let https = block(&lb, "resource", &["aws_lb_listener", "https"]).body();
    let default = block(https, "default_action", &[]).body();
    assert_eq!(source(attr(default, "type")), "fixed-response");
    let alb = block(&lb, "resource", &["aws_lb", "this"]).body();
    assert_eq!(
        attr(alb, "drop_invalid_header_fields"),
        &Expression::Bool(true)
    );
}

#[test]
fn every_module_has_the_four_files_and_typed_described_variables() {
    let modules = terraform_dir().join("modules");
    for entry in std::fs::read_dir(&modules).unwrap() {
        let dir = entry.unwrap().path();
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(
            files,
            ["main.tf", "outputs.tf", "variables.tf", "versions.tf"],
            "{}",
            dir.display()
        );
    }
    let folders = std::fs::read_dir(&modules)
        .unwrap()
        .map(|e| format!("modules/{}", e.unwrap().file_name().to_string_lossy()))
        .chain(ENVIRONMENTS.map(|e| format!("environments/{e}")));
    for folder in folders {
        let body = module(&folder);
        for variable in blocks(&body, "variable", &[]) {
            let name = variable.labels()[0].as_str();
            let vars = variable.body();
            for key in ["type", "description"] {
                assert!(
                    vars.attributes().any(|a| a.key() == key),
                    "{folder}: variable {name} has a {key}"
                );
            }
        }
    }
}

#[test]
fn ci_roles_trust_only_the_refs_that_need_them_and_plan_is_read_only() {
    let ci = module("modules/ci");
    let roles = attr(block(&ci, "locals", &[]).body(), "roles");
    let subs = |role: &str| {
        let entry = object_entry(roles, role).unwrap_or_else(|| panic!("CI role {role}"));
        source(object_entry(entry, "subs").unwrap())
    };
    // Deploy and apply: protected branches only. Plan: any branch of the project (merge requests).
    assert_eq!(subs("deploy"), "local.protected_subs");
    assert_eq!(subs("terraform-apply"), "local.protected_subs");
    let plan = subs("terraform-plan");
    assert!(
        plan.contains(":ref_type:branch:ref:*"),
        "plan trusts {plan}"
    );

    let attached = |name: &str| {
        let labels = ["aws_iam_role_policy_attachment", name];
        let body = block(&ci, "resource", &labels).body();
        (source(attr(body, "role")), source(attr(body, "policy_arn")))
    };
    let (role, policy) = attached("plan_read_only");
    assert!(role.contains("\"terraform-plan\"") && policy.ends_with("policy/ReadOnlyAccess"));
    // Nothing beyond ReadOnlyAccess is given to the plan role: its inline policies only deny.
    for policy in blocks(&ci, "resource", &["aws_iam_role_policy"]) {
        if !source(attr(policy.body(), "role")).contains("terraform-plan") {
            continue;
        }
        let document = source(attr(policy.body(), "policy"));
        let name = document
            .trim_start_matches("data.aws_iam_policy_document.")
            .trim_end_matches(".json");
        let labels = ["aws_iam_policy_document", name];
        let document = block(&ci, "data", &labels).body();
        for statement in blocks(document, "statement", &[]) {
            assert_eq!(
                source(attr(statement.body(), "effect")),
                "Deny",
                "plan role policy {name} only denies"
            );
        }
    }
    let (role, policy) = attached("apply_power_user");
    assert!(role.contains("\"terraform-apply\"") && policy.ends_with("policy/PowerUserAccess"));

    // The apply role changes roles only with the boundary attached, and never the Terraform roles.
    let iam = block(&ci, "data", &["aws_iam_policy_document", "apply_iam"]).body();
    let statement = |sid: &str| {
        blocks(iam, "statement", &[])
            .find(|s| source(attr(s.body(), "sid")) == sid)
            .unwrap_or_else(|| panic!("statement {sid}"))
            .body()
    };
    let bounded = block(statement("RolesWithTheBoundary"), "condition", &[]).body();
    assert_eq!(source(attr(bounded, "variable")), "iam:PermissionsBoundary");
    assert!(source(attr(bounded, "values")).contains("var.permissions_boundary_arn"));
    let deny = statement("NotTheTerraformRoles");
    assert_eq!(source(attr(deny, "effect")), "Deny");
    assert!(source(attr(deny, "resources")).contains("-ci-terraform-*"));

    let composition = module("modules/environment");
    let call = block(&composition, "module", &["ci"]).body();
    assert_eq!(source(attr(call, "source")), "../../modules/ci");
    for output in [
        "ci_deploy_role_arn",
        "ci_terraform_plan_role_arn",
        "ci_terraform_apply_role_arn",
    ] {
        block(&composition, "output", &[output]);
    }
    for environment in ENVIRONMENTS {
        let env = module(&format!("environments/{environment}"));
        environment_call(&env, environment);
        // The plan role may read objects of the state bucket only: the backend's bucket.
        let backend = blocks(&env, "terraform", &[])
            .find_map(|t| blocks(t.body(), "backend", &["s3"]).next())
            .expect("an S3 backend");
        let bucket = source(attr(backend.body(), "bucket"));
        assert_eq!(
            source(attr(call, "state_bucket")).replace("${var.environment}", environment),
            bucket,
            "{environment}: the plan role's state bucket is the backend's"
        );
    }
}

#[test]
fn every_role_the_apply_role_can_change_carries_the_permissions_boundary() {
    let modules = terraform_dir().join("modules");
    let mut roles = 0;
    for entry in std::fs::read_dir(&modules).unwrap() {
        let folder = format!("modules/{}", entry.unwrap().file_name().to_string_lossy());
        let body = module(&folder);
        for role in blocks(&body, "resource", &["aws_iam_role"]) {
            roles += 1;
            let boundary = source(attr(role.body(), "permissions_boundary"));
            if folder == "modules/ci" {
                // Only the deploy role: the Terraform roles are outside the apply role's reach.
                assert_eq!(
                    boundary,
                    "each.key == \"deploy\" ? var.permissions_boundary_arn : null"
                );
            } else {
                assert_eq!(
                    boundary, "var.permissions_boundary_arn",
                    "{folder}: {role:?}"
                );
            }
        }
    }
    assert!(
        roles >= 4,
        "execution, task, flow log and CI roles: found {roles}"
    );
}

#[test]
fn the_outbox_lag_and_dead_messages_are_metrics_from_the_json_logs_with_alarms() {
    // driver_api runs the only relay today; its log line becomes metrics, no agent needed.
    let map = services_map();
    for s in &SERVICES {
        let outbox = object_entry(service_entry(&map, s), "outbox")
            .is_some_and(|e| *e == Expression::Bool(true));
        assert_eq!(outbox, s.name == "driver_api", "{} outbox", s.name);
    }
    let service = module("modules/ecs-service");
    let filter = block(
        &service,
        "resource",
        &["aws_cloudwatch_log_metric_filter", "outbox"],
    )
    .body();
    // The relay's JSON line (crates/outbox): {"message":"outbox","outbox_lag_ms":..,...}.
    assert_eq!(
        source(attr(filter, "pattern")),
        r#"{ $.message = \"outbox\" }"#
    );
    let metrics = blocks(&service, "locals", &[])
        .flat_map(|b| b.body().attributes())
        .find(|a| a.key() == "outbox_metrics")
        .map(|a| a.expr().to_string())
        .expect("the outbox metrics");
    for field in ["$.outbox_lag_ms", "$.outbox_dead", "$.outbox_pending"] {
        assert!(metrics.contains(field), "{field} in {metrics}");
    }
    let alarm = block(
        &service,
        "resource",
        &["aws_cloudwatch_metric_alarm", "outbox"],
    )
    .body();
    assert_eq!(source(attr(alarm, "statistic")), "Maximum");
    let vars = module("modules/ecs-service");
    let lag = block(&vars, "variable", &["outbox_lag_alarm_ms"]).body();
    assert_eq!(number(attr(lag, "default")), 60_000, "alarm past a minute");
    let dashboard = module("modules/dashboard");
    assert!(
        blocks(&dashboard, "locals", &[])
            .flat_map(|b| b.body().attributes())
            .any(|a| a.key() == "outbox_widgets"),
        "the dashboard shows the outbox"
    );
}

#[test]
fn compose_carries_every_service_variable_of_the_terraform_service_table() {
    let compose = std::fs::read_to_string(terraform_dir().join("../compose.yaml")).unwrap();
    let compose = &yaml_rust2::YamlLoader::load_from_str(&compose).unwrap()[0];
    let map = services_map();
    for s in &SERVICES {
        let Some(vars) = object_entry(service_entry(&map, s), "environment") else {
            continue;
        };
        let Expression::Object(vars) = vars else {
            panic!("{} environment is an object", s.name)
        };
        let env = &compose["services"][s.name.replace('_', "-").as_str()]["environment"];
        for (key, value) in vars.iter() {
            let key = key.to_string().trim_matches('"').to_owned();
            // Deployment-specific values (the account's admin email, a task's own address).
            if key.starts_with("AUTH_") {
                continue;
            }
            assert_eq!(
                env[key.as_str()].as_str(),
                Some(source(value).as_str()),
                "{}: compose sets {key} as Terraform does",
                s.name
            );
        }
    }
}
