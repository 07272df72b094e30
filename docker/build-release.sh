#!/bin/sh
# The one release build: the image's builder stage and CI run exactly this command. It builds
# the five services and `odmu` (whose `gateway` command is compose's load balancer).
set -eu
exec cargo build --release --locked --bins \
  -p odmu_auth -p odmu_contractual -p client_app_api -p driver_api -p billing -p odmu-stack
