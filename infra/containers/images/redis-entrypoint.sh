#!/bin/sh
# The official redis image's docker-entrypoint.sh: a first argument that is a
# flag or a .conf file means redis-server; redis-server started as root owns
# /data and re-runs as `redis`. Any other command runs as given (as root).
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec gosu redis "$0" "$@"
fi
exec "$@"
