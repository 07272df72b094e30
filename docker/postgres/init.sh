#!/bin/sh
# Runs once, on the first start of an empty PostgreSQL volume: one database and one login per
# service, each login owning only its database. DEVELOPMENT PASSWORDS ONLY (compose.yaml).
set -eu
for service in odmu_auth odmu_contractual client_app_api driver_api billing; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE ${service} LOGIN PASSWORD '${service}_dev_only';
CREATE DATABASE ${service} OWNER ${service};
REVOKE ALL ON DATABASE ${service} FROM PUBLIC;
SQL
done
