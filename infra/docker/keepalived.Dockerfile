# keepalived for the floating address (infra/src/keepalived.ts): Debian's package, and curl for its
# check of the local HAProxy. Built by compose on A and B (KEEPALIVED_IMAGE):
#   docker-compose -f infra/server-a/compose.yml build keepalived
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends keepalived curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
CMD ["keepalived", "--dont-fork", "--log-console", "--vrrp"]
