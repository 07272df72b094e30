#!/usr/bin/env bash
# One database and one login per service on the environment's RDS instance, and each service's
# DATABASE_URL written into its own secret. Idempotent: an existing login gets a new password
# (so this also rotates them; redeploy the services afterwards).
#
#   ENV=staging PGHOST=127.0.0.1 PGPORT=5432 ./create-service-databases.sh
#
# PGHOST/PGPORT reach the instance (an SSM port forward, see terraform/README.md); the script reads
# the master login from the RDS-managed secret and the instance address from Terraform's outputs.
set -euo pipefail
cd "$(dirname "$0")/../environments/${ENV:?ENV=staging or production}"

outputs=$(terraform output -json environment)
db_host=$(jq -r .database_address <<<"$outputs")
master_secret=$(jq -r .database_master_secret_arn <<<"$outputs")
master=$(aws secretsmanager get-secret-value --secret-id "$master_secret" --query SecretString --output text)
export PGUSER=$(jq -r .username <<<"$master") PGPASSWORD=$(jq -r .password <<<"$master")
export PGSSLMODE=require PGDATABASE=postgres

jq -r '.secret_arns | to_entries[] | "\(.key) \(.value)"' <<<"$outputs" |
while read -r service secret_arn; do
  password=$(openssl rand -hex 32)
  psql -v ON_ERROR_STOP=1 -q <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${service}') THEN
    CREATE ROLE ${service} LOGIN;
  END IF;
END \$\$;
ALTER ROLE ${service} WITH LOGIN PASSWORD '${password}';
GRANT ${service} TO CURRENT_USER;
SELECT 'CREATE DATABASE ${service} OWNER ${service}'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${service}') \gexec
REVOKE ALL ON DATABASE ${service} FROM PUBLIC;
SQL
  # Merge DATABASE_URL into the service's secret, keeping its other keys.
  current=$(aws secretsmanager get-secret-value --secret-id "$secret_arn" --query SecretString --output text 2>/dev/null || echo '{}')
  url="postgres://${service}:${password}@${db_host}:5432/${service}?sslmode=require"
  aws secretsmanager put-secret-value --secret-id "$secret_arn" \
    --secret-string "$(jq -c --arg url "$url" '. + {DATABASE_URL: $url}' <<<"$current")" >/dev/null
  echo "$service: database, login and DATABASE_URL ready"
done
