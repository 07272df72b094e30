#!/usr/bin/env bash
# Checks of the GitLab pipeline and the deploy script, with the real tools (docs: .gitlab/README.md):
#   1. .gitlab/ci/services.yml matches cargo metadata (what each service builds from);
#   2. deploy/ecs_deploy.py's decisions (unit tests: completed, rolled back, failed, ...);
#   3. gitlab-ci-local 4.73.0, in a throw-away clone, for each kind of change: the jobs listed are
#      exactly the expected ones, for a default-branch push and for a merge request;
#   4. the deploy against moto's ECS API with the AWS CLI: deploy, missing service, rollback;
#   5. the promotion of an image from staging to production: skopeo between two real registries
#      (Debian's docker-registry, TLS and htpasswd), each side logged in with its own role's ECR
#      token (moto's STS and ECR).
# Installs what it needs under ~/.cache (gitlab-ci-local with npm; moto and the AWS CLI in a venv,
# apart from the system Python whose botocore other tools pin) and, from Debian, skopeo and
# docker-registry.
set -euo pipefail
ROOT="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$ROOT"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}"
WORK="$(mktemp -d)"
MOTO_PIDS=()
cleanup() {
  for pid in "${MOTO_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pidfile in "$WORK"/registry-*/pid; do [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
start=$SECONDS

echo "== services.yml matches cargo metadata; every pipeline file passes GitLab's schema"
python3 .gitlab/ci/generate-services.py --check
PY_BIN="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
"$PY_BIN/check-jsonschema" --builtin-schema vendor.gitlab-ci .gitlab-ci.yml .gitlab/ci/*.yml

echo "== deploy script: unit tests"
python3 -m unittest deploy/test_ecs_deploy.py 2>&1 | tail -n 3

echo "== tools"
GCL_PREFIX="$CACHE/odmu-gcl"
GCL="$GCL_PREFIX/node_modules/.bin/gitlab-ci-local"
if ! [ -x "$GCL" ] || [ "$("$GCL" --version)" != "4.73.0" ]; then
  npm install --silent --prefix "$GCL_PREFIX" gitlab-ci-local@4.73.0 >/dev/null
fi
AWS_VENV="$CACHE/odmu-aws"
if ! "$AWS_VENV/bin/aws" --version >/dev/null 2>&1 || ! [ -x "$AWS_VENV/bin/moto_server" ] \
  || ! "$AWS_VENV/bin/python" -c 'import bcrypt' 2>/dev/null; then
  python3 -m venv "$AWS_VENV"
  "$AWS_VENV/bin/pip" install -q --disable-pip-version-check 'moto[server]==5.2.5' awscli==1.46.3 bcrypt==5.0.0
fi
if ! command -v skopeo >/dev/null 2>&1 || ! command -v docker-registry >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq skopeo docker-registry >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq skopeo docker-registry >/dev/null; }
fi
echo "gitlab-ci-local $("$GCL" --version), $("$AWS_VENV/bin/aws" --version 2>&1 | cut -d' ' -f1), $(skopeo --version)"

echo "== which jobs each kind of change runs (gitlab-ci-local --list-json in a throw-away clone)"
# The clone holds HEAD plus this working tree's pipeline files, committed as the base that
# origin/main points at; each case then changes one file in the working tree, which is what
# gitlab-ci-local diffs against origin/main for rules:changes.
git clone -q "$ROOT" "$WORK/base"
cp -r .gitlab-ci.yml .gitlab deploy "$WORK/base/"
git -C "$WORK/base" add -A
git -C "$WORK/base" -c user.name=ci -c user.email=ci@localhost commit -q --allow-empty -m "pipeline under test"
git -C "$WORK/base" update-ref refs/remotes/origin/main HEAD

# The staleness check bites: a services.yml that drops a crate from a service's list is refused.
sed -i '0,/  - crates\/authn\/\*\*\/\*/{//d}' "$WORK/base/.gitlab/ci/services.yml"
if (cd "$WORK/base" && python3 .gitlab/ci/generate-services.py --check >/dev/null 2>&1); then
  echo "!! generate-services.py --check accepted a services.yml without crates/authn for billing" >&2; exit 1
fi
git -C "$WORK/base" checkout -q -- .gitlab/ci/services.yml
echo "ok: a hand-edited services.yml (billing without crates/authn) fails the check"

VERIFY="fmt clippy test-sqlite test-postgres ci-config deploy-script hadolint compose-check terraform-fmt checkov"
SERVICES="billing client_app_api driver_api odmu_auth odmu_contractual"
push_jobs() {
  for s in "$@"; do
    printf 'build:%s deploy-staging:%s rollback-staging:%s deploy-production:%s rollback-production:%s ' "$s" "$s" "$s" "$s" "$s"
  done
}
mr_jobs() { for s in "$@"; do printf 'build:%s ' "$s"; done; }
export GCL_IGNORE_PREDEFINED_VARS=CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_DEFAULT_BRANCH

# list_jobs <repo> <pipeline source> <branch or ""> → sorted names of the jobs that run (when != never)
list_jobs() {
  local args=(--list-json --variable CI_DEFAULT_BRANCH=main --variable "CI_PIPELINE_SOURCE=$2")
  if [ -n "$3" ]; then args+=(--variable "CI_COMMIT_BRANCH=$3"); else args+=(--unset-variable CI_COMMIT_BRANCH); fi
  (cd "$1" && "$GCL" "${args[@]}" 2>&1) | python3 -c '
import json, sys
text = sys.stdin.read()
start = text.find("[\n") if not text.startswith("[") else 0
jobs = json.loads(text[start:])
print(" ".join(sorted(j["name"] for j in jobs if j["when"] != "never")))'
}

failures=0
table=()
# check_case <label> <file to change> <source> <branch> <expected jobs beyond verify> [no-verify]
check_case() {
  local label="$1" file="$2" source="$3" branch="$4" expected="$5" verify="$VERIFY"
  [ "${6:-}" = "no-verify" ] && verify=""
  local repo="$WORK/case-$RANDOM$RANDOM"
  cp -a "$WORK/base" "$repo"
  [ -n "$file" ] && printf '\n# pipeline-checks change\n' >> "$repo/$file"
  local got want
  got="$(list_jobs "$repo" "$source" "$branch")"
  want="$(echo $verify $expected | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')"
  local shipped
  # jobs beyond verify, grouped by kind: "build+deploy+rollback: billing driver_api"
  shipped="$(VERIFY="$VERIFY" python3 -c '
import os, sys
verify = set(os.environ["VERIFY"].split())
by_service = {}
for job in sys.argv[1].split():
    if job in verify:
        continue
    kind, _, target = job.partition(":")
    by_service.setdefault(target, []).append(kind)
groups = {}
for target, kinds in sorted(by_service.items()):
    groups.setdefault("+".join(kinds), []).append(target)
print("; ".join(kinds + ": " + " ".join(t) for kinds, t in groups.items()))' "$got")"
  local verdict="ok"
  if [ "$got" != "$want" ]; then
    verdict="MISMATCH"; failures=$((failures + 1))
    echo "!! $label ($source): expected [$want]" >&2
    echo "!!   got [$got]" >&2
  fi
  local has_verify="verify"; [ -z "$verify" ] && has_verify="-"
  table+=("$(printf '%-34s %-8s %-7s %-8s %s' "$label" "${source/merge_request_event/MR}" "$has_verify" "$verdict" "${shipped:-(none)}")")
  rm -rf "$repo"
}

check_case "one service (services/billing)" services/billing/src/lib.rs push main "$(push_jobs billing)"
check_case "one service (services/billing)" services/billing/src/lib.rs merge_request_event "" "$(mr_jobs billing)"
check_case "one service (services/odmu_auth)" services/odmu_auth/src/lib.rs push main "$(push_jobs odmu_auth)"
check_case "shared crate (crates/authn)" crates/authn/src/lib.rs push main "$(push_jobs $SERVICES)"
check_case "shared crate (crates/authn)" crates/authn/src/lib.rs merge_request_event "" "$(mr_jobs $SERVICES)"
check_case "dev-only crate (crates/testkit)" crates/testkit/src/lib.rs push main ""
check_case "local stack (tools/stack)" tools/stack/src/main.rs push main ""
check_case "deploy checks (tools/deploy-checks)" tools/deploy-checks/tests/terraform.rs push main ""
check_case "Cargo.lock" Cargo.lock push main "$(push_jobs $SERVICES)"
check_case "Cargo.lock" Cargo.lock merge_request_event "" "$(mr_jobs $SERVICES)"
check_case "workspace Cargo.toml" Cargo.toml push main "$(push_jobs $SERVICES)"
check_case "docker/Dockerfile" docker/Dockerfile push main "$(push_jobs $SERVICES)"
check_case "only terraform/" terraform/modules/network/main.tf push main "apply:staging apply:production"
check_case "only terraform/" terraform/modules/network/main.tf merge_request_event "" "plan:staging plan:production"
check_case "only docs (README.md)" README.md push main ""
check_case "only docs (README.md)" README.md merge_request_event "" ""
check_case "schedule on main (any change)" crates/authn/src/lib.rs schedule main ""
check_case "branch push, no merge request" services/billing/src/lib.rs push feature "" no-verify

printf '\n%-34s %-8s %-7s %-8s %s\n' "change" "source" "verify" "result" "build / deploy / infrastructure jobs"
printf '%s\n' "${table[@]}"
echo
[ "$failures" -eq 0 ] || { echo "!! $failures case(s) list other jobs than expected" >&2; exit 1; }

echo "== deploy against moto's ECS API (AWS CLI)"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing AWS_DEFAULT_REGION=us-east-1
export PATH="$AWS_VENV/bin:$PATH"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# start_moto <extra env...>: moto_server with ECS deployments modelled (deploy/testing/moto_ecs_server.py)
start_moto() {
  local port; port="$(free_port)"
  env MOTO_ECS_SERVICE_RUNNING=1 "$@" "$AWS_VENV/bin/python" deploy/testing/moto_ecs_server.py -H 127.0.0.1 -p "$port" \
    >"$WORK/moto-$port.log" 2>&1 &
  MOTO_PIDS+=($!)
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 50); do
    python3 -c "import urllib.request; urllib.request.urlopen('$AWS_ENDPOINT_URL/moto-api/')" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "!! moto did not start" >&2; cat "$WORK/moto-$port.log" >&2; exit 1
}
# seed: cluster odmu-test, a VPC subnet and security group, task definition with repo:old, service billing
seed() {
  aws ecs create-cluster --cluster-name odmu-test >/dev/null
  local vpc subnet sg
  vpc="$(aws ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId --output text)"
  subnet="$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 --query Subnet.SubnetId --output text)"
  sg="$(aws ec2 create-security-group --group-name billing --description billing --vpc-id "$vpc" --query GroupId --output text)"
  aws ecs register-task-definition --family odmu-test-billing --requires-compatibilities FARGATE \
    --network-mode awsvpc --cpu 256 --memory 512 \
    --container-definitions '[{"name":"billing","image":"repo/billing:old","portMappings":[{"containerPort":3001}],"environment":[{"name":"PORT","value":"3001"}]}]' >/dev/null
  aws ecs create-service --cluster odmu-test --service-name billing --task-definition odmu-test-billing \
    --desired-count 1 --launch-type FARGATE \
    --network-configuration "awsvpcConfiguration={subnets=[$subnet],securityGroups=[$sg]}" >/dev/null
}
# The jobs' path to AWS: the id_token exchanged for the role (moto's STS accepts any token).
export AWS_ID_TOKEN="id-token-of-a-gitlab-job"
ROLE=arn:aws:iam::123456789012:role/odmu-test-ci-deploy
deploy() {
  python3 deploy/ecs_deploy.py deploy --role-arn "$ROLE" --cluster odmu-test --family odmu-test-billing \
    --container billing --image repo/billing:new --timeout 20 --interval 1 "$@"
}

start_moto
seed
deploy --service billing
td="$(aws ecs describe-services --cluster odmu-test --services billing --query 'services[0].deployments[?status==`PRIMARY`].taskDefinition | [0]' --output text)"
image="$(aws ecs describe-task-definition --task-definition "$td" --query 'taskDefinition.containerDefinitions[0].image' --output text)"
env_kept="$(aws ecs describe-task-definition --task-definition "$td" --query 'taskDefinition.containerDefinitions[0].environment[0].value' --output text)"
[ "${td##*:}" = "2" ] && [ "$image" = "repo/billing:new" ] && [ "$env_kept" = "3001" ] \
  || { echo "!! expected revision 2 with repo/billing:new (PORT kept), got $td $image $env_kept" >&2; exit 1; }
echo "ok: deploy exited 0; PRIMARY deployment runs $td with $image"

if deploy --service no-such-service 2>"$WORK/missing.err"; then
  echo "!! a deploy to a missing service exited 0" >&2; exit 1
fi
grep -q "ECS service 'no-such-service' not found in cluster 'odmu-test'" "$WORK/missing.err" \
  || { echo "!! unclear error for a missing service:" >&2; cat "$WORK/missing.err" >&2; exit 1; }
echo "ok: missing service fails: $(cat "$WORK/missing.err")"

python3 deploy/ecs_deploy.py rollback --role-arn "$ROLE" --cluster odmu-test --service billing --timeout 20 --interval 1 >/dev/null
td="$(aws ecs describe-services --cluster odmu-test --services billing --query 'services[0].deployments[0].taskDefinition' --output text)"
[ "${td##*:}" = "1" ] || { echo "!! rollback left $td" >&2; exit 1; }
echo "ok: rollback job redeployed the previous revision ($td)"

# A circuit-breaker rollback (ECS calls the service stable again) must fail the deploy job.
start_moto ODMU_MOTO_ROLLBACK=1
seed
if deploy --service billing 2>"$WORK/rolledback.err" >/dev/null; then
  echo "!! a deploy that ECS rolled back exited 0" >&2; exit 1
fi
grep -q "rolled back" "$WORK/rolledback.err" || { cat "$WORK/rolledback.err" >&2; exit 1; }
echo "ok: ECS rollback fails the deploy: $(cat "$WORK/rolledback.err")"

echo "== promotion staging -> production: skopeo between two registries, one role each (moto STS + ECR)"
# Two registries stand for the two environments' ECR, each accepting only the ECR token of its own
# account's role (moto's token is "<account>-auth-token"), over TLS with a throw-away CA that only
# this run trusts (SSL_CERT_FILE, read by skopeo's Go TLS stack).
STAGING_ROLE=arn:aws:iam::111111111111:role/odmu-staging-ci-deploy
PRODUCTION_ROLE=arn:aws:iam::222222222222:role/odmu-production-ci-deploy
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/registry.key" -out "$WORK/registry.crt" 2>/dev/null
export SSL_CERT_FILE="$WORK/registry.crt"
# start_registry <name> <account>: a registry in $WORK/registry-<name>, its address in ./address
start_registry() {
  local dir="$WORK/registry-$1" port; port="$(free_port)"
  mkdir -p "$dir/data"
  "$AWS_VENV/bin/python" -c 'import bcrypt, sys; print("AWS:" + bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt()).decode())' \
    "$2-auth-token" >"$dir/htpasswd"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $dir/data } }
http: { addr: "127.0.0.1:$port", tls: { certificate: $WORK/registry.crt, key: $WORK/registry.key } }
auth: { htpasswd: { realm: odmu-test, path: $dir/htpasswd } }
YAML
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 50); do
    # 401 is the answer of a registry that is up and wants its credentials
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/registry.crt" "https://127.0.0.1:$port/v2/")" = 401 ]; then
      echo "127.0.0.1:$port" >"$dir/address"
      return 0
    fi
    sleep 0.1
  done
  echo "!! the $1 registry did not start" >&2; cat "$dir/log" >&2; exit 1
}
start_registry staging 111111111111
start_registry production 222222222222
STAGING_REGISTRY="$(cat "$WORK/registry-staging/address")"
PRODUCTION_REGISTRY="$(cat "$WORK/registry-production/address")"
SOURCE="$STAGING_REGISTRY/odmu-staging/billing:0123abcd"
TARGET="$PRODUCTION_REGISTRY/odmu-production/billing:0123abcd"
# What the build job leaves behind: the commit's image in the staging repository.
auth() { printf '{"auths":{"%s":{"auth":"%s"}}}' "$1" "$(printf 'AWS:%s-auth-token' "$2" | base64 -w0)" >"$WORK/auth-$2.json"; echo "$WORK/auth-$2.json"; }
python3 deploy/testing/make_oci_image.py "$WORK/oci-v1" v1
python3 deploy/testing/make_oci_image.py "$WORK/oci-v2" v2
skopeo copy -q --dest-authfile "$(auth "$STAGING_REGISTRY" 111111111111)" "oci:$WORK/oci-v1:v1" "docker://$SOURCE"
digest() { skopeo inspect --raw --authfile "$2" "docker://$1" | sha256sum | cut -d' ' -f1; }
promote() { python3 deploy/ecs_deploy.py promote "$@"; }

promote --source "$SOURCE" --source-role-arn "$STAGING_ROLE" \
  --target "$TARGET" --target-role-arn "$PRODUCTION_ROLE" >"$WORK/promote.out"
want="$(digest "$SOURCE" "$WORK/auth-111111111111.json")"
got="$(digest "$TARGET" "$(auth "$PRODUCTION_REGISTRY" 222222222222)")"
[ "$want" = "$got" ] || { echo "!! promoted digest $got differs from staging's $want" >&2; exit 1; }
echo "ok: promoted with the same digest (sha256:${got:0:12}...): $(tail -n1 "$WORK/promote.out")"

promote --source "$SOURCE" --source-role-arn "$STAGING_ROLE" \
  --target "$TARGET" --target-role-arn "$PRODUCTION_ROLE" | grep -q "already holds" \
  || { echo "!! a second promotion of the same image did not recognise it" >&2; exit 1; }
echo "ok: promoting again is a no-op (a rerun of the job)"

expect_failure() {  # expect_failure <label> <message in stderr> <promote args...>
  local label="$1" message="$2"; shift 2
  if promote "$@" >/dev/null 2>"$WORK/promote.err"; then echo "!! $label: exited 0" >&2; exit 1; fi
  grep -q "$message" "$WORK/promote.err" || { echo "!! $label: unclear error:" >&2; cat "$WORK/promote.err" >&2; exit 1; }
  echo "ok: $label fails: $(head -c 220 "$WORK/promote.err" | tr '\n' ' ')"
}
expect_failure "reading staging with production's role" "unauthorized\|authentication required" \
  --source "$SOURCE" --source-role-arn "$PRODUCTION_ROLE" \
  --target "$PRODUCTION_REGISTRY/odmu-production/billing:other" --target-role-arn "$PRODUCTION_ROLE"
expect_failure "a commit that staging never got" "does not exist" \
  --source "$STAGING_REGISTRY/odmu-staging/billing:never-built" --source-role-arn "$STAGING_ROLE" \
  --target "$PRODUCTION_REGISTRY/odmu-production/billing:never-built" --target-role-arn "$PRODUCTION_ROLE"
skopeo copy -q --dest-authfile "$WORK/auth-222222222222.json" "oci:$WORK/oci-v2:v2" \
  "docker://$PRODUCTION_REGISTRY/odmu-production/billing:taken"
expect_failure "a target tag that holds another image" "tags are immutable" \
  --source "$SOURCE" --source-role-arn "$STAGING_ROLE" \
  --target "$PRODUCTION_REGISTRY/odmu-production/billing:taken" --target-role-arn "$PRODUCTION_ROLE"
AWS_ID_TOKEN="" expect_failure "a job without an id_token" "AWS_ID_TOKEN is empty" \
  --source "$SOURCE" --source-role-arn "$STAGING_ROLE" --target "$TARGET" --target-role-arn "$PRODUCTION_ROLE"

echo "== pipeline checks passed in $((SECONDS - start))s"
