#!/usr/bin/env bash
# Makes a fresh machine able to run the project: Debian packages for the
# servers (as root), then node_modules (npm ci) when absent. Sourced by
# `npm start`, `npm test` and .ci/run; idempotent and quiet when all is there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need_pkgs=()
command -v nats-server >/dev/null 2>&1 || need_pkgs+=(nats-server)
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1 || need_pkgs+=(postgresql)
# CI also validates the compose files with Debian's docker-compose (no engine needed);
# elsewhere those checks are skipped with a note when it is absent.
if [ "${CI:-}" = true ] && ! command -v docker-compose >/dev/null 2>&1; then need_pkgs+=(docker-compose); fi
# The container test (npm run test:containers, run by CI) drives Docker engines of its own and
# makes its base images with debootstrap: CI, or VOC_CONTAINER_TOOLS=1, installs what it needs.
if [ "${CI:-}" = true ] || [ "${VOC_CONTAINER_TOOLS:-}" = 1 ]; then
  command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || [[ " ${need_pkgs[*]} " == *" docker-compose "* ]] || need_pkgs+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
  command -v iptables >/dev/null 2>&1 || need_pkgs+=(iptables)
  command -v nsenter >/dev/null 2>&1 || need_pkgs+=(util-linux)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "bootstrap: installing ${need_pkgs[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # RUNLEVEL=1: invoke-rc.d starts no service (docker.io's postinst would start the
    # machine's own Docker engine, with its bridge and iptables rules; the tests start theirs).
    RUNLEVEL=1 apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "bootstrap: missing ${need_pkgs[*]}; run: sudo apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
fi

if [ ! -d "$ROOT/node_modules" ]; then
  echo "bootstrap: npm ci" >&2
  (cd "$ROOT" && npm ci --no-audit --no-fund)
fi
# The Prisma client is generated, not committed.
if [ ! -d "$ROOT/libs/db/src/generated" ]; then
  (cd "$ROOT" && npm run --silent generate -w @voc/db)
fi
