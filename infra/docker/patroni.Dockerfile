# PostgreSQL under Patroni (infra/src/patroni.ts): the official PostgreSQL image plus Debian's
# patroni package (etcd v3 client included). Built by compose on A and B (PATRONI_IMAGE):
#   docker-compose -f infra/server-a/compose.yml build pg-a
# The configuration is mounted (infra/<role>/patroni/); the node's identity comes from PATRONI_*.
ARG POSTGRES_IMAGE=postgres:15-bookworm
FROM ${POSTGRES_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends patroni python3-etcd \
 && rm -rf /var/lib/apt/lists/*
# Patroni runs PostgreSQL itself: as the image's postgres user, never as root.
USER postgres
# The postgres image stops its server with SIGINT (a fast shutdown); Patroni ignores SIGINT and
# stops on SIGTERM (it then shuts PostgreSQL down and releases its leader key). With the inherited
# SIGINT, `docker compose stop` waited out the 60 s grace period and SIGKILLed Patroni and
# PostgreSQL on every stop (exit 137, seen in test:containers).
STOPSIGNAL SIGTERM
CMD ["patroni", "/etc/patroni/patroni.yml"]
