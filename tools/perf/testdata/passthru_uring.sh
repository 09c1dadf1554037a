#!/usr/bin/env bash
# spdkcpp-perf (the command given) verifying through a passthru stacked on a uring
# bdev over a temporary file: the data survives the stack down to the file.
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
truncate -s 16M "$dir/disk"
cat >"$dir/cfg.json" <<EOF
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_uring_create",
   "params": {"name": "Uring0", "filename": "$dir/disk", "block_size": 512}},
  {"method": "bdev_passthru_create", "params": {"base_bdev_name": "Uring0", "name": "PT0"}}
]}]}
EOF
exec "$@" -c "$dir/cfg.json" -b PT0 -q 8 -o 4096 -w verify -t 0.5 --json
