#!/usr/bin/env bash
# `npm start`: bootstrap the machine, then hand over to the orchestrator
# (exec, so Ctrl-C and SIGTERM reach it directly).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
exec node --import tsx scripts/start.ts "$@"
