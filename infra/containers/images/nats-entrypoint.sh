#!/bin/sh
# The official nats image's docker-entrypoint.sh: a first argument that is a
# flag (compose passes `-c /etc/nats/<node>.conf`) means nats-server.
set -e
if [ "${1#-}" != "$1" ]; then set -- nats-server "$@"; fi
exec "$@"
