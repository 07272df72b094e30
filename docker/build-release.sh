#!/bin/sh
# The one release build: the image's builder stage and CI run exactly this command. Without
# arguments it builds the five services and `odmu` (whose `gateway` command is compose's load
# balancer): compose's five images then share one builder stage. With package names it builds only
# those: a pipeline job builds one image, and one binary links in a fifth of the time of six
# (thin LTO per binary; bench/pipeline.sh).
set -eu
if [ "$#" -eq 0 ]; then
  set -- odmu_auth odmu_contractual client_app_api driver_api billing odmu-stack
fi
for package in "$@"; do
  set -- "$@" -p "$package"
  shift
done
exec cargo build --release --locked --bins "$@"
