# Stand-ins for the official server images the compose files name, built
# without a registry from Debian's packages by infra/containers (npm run
# test:containers). One target per official image installs its packages
# (apt's lists come with the base image, from debootstrap) and reproduces the
# part of its contract the compose files rely on: entrypoint, user, working
# directory, data directory, the tools the healthchecks call. Versions are Debian
# bookworm's, not the tags the compose files pin (see infra/containers/README.md).
#
#   docker build --target postgres   --build-arg BASE_IMAGE=… -f servers.Dockerfile .
ARG BASE_IMAGE
FROM ${BASE_IMAGE} AS apt
# No service starts inside a build (policy-rc.d); PostgreSQL creates no cluster
# of its own (the entrypoint makes one at first start, like the official image).
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && printf 'APT::Install-Recommends "false";\nDpkg::Options { "--force-confold"; }\n' > /etc/apt/apt.conf.d/90stand-in \
 && printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n' > /etc/dpkg/dpkg.cfg.d/90stand-in
ENV DEBIAN_FRONTEND=noninteractive

# ---- postgres:15-bookworm ----------------------------------------------------
FROM apt AS postgres
# uid/gid 999 as in the official image (and not the uid a host's own postgres user has,
# so host tools that act on "postgres" processes leave the container's alone).
RUN groupadd -r -g 999 postgres && useradd -r -g postgres -u 999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres \
 && apt-get install -y -q postgresql-15 gosu && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
RUN mkdir -p "$PGDATA" /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql && chmod 3777 /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]

# ---- redis:7.2-bookworm ------------------------------------------------------
FROM apt AS redis
# uid/gid 999 as in the official image.
RUN groupadd -r -g 999 redis && useradd -r -g redis -u 999 --home-dir=/var/lib/redis redis \
 && apt-get install -y -q redis-server redis-tools gosu && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 6379
CMD ["redis-server"]

# ---- nats:2.10-alpine --------------------------------------------------------
FROM apt AS nats
RUN apt-get install -y -q nats-server wget && rm -rf /var/lib/apt/lists/*
COPY nats-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 4222 6222 8222
CMD ["nats-server"]

# ---- prom/prometheus ---------------------------------------------------------
FROM apt AS prometheus
# The web UI's JavaScript libraries (libjs-*, 250 MB of time zones) are not
# needed to scrape, store, remote-write or answer the API; dpkg is told to
# drop them after the install.
RUN apt-get install -y -q prometheus wget && rm -rf /var/lib/apt/lists/* \
 && ui=$(dpkg-query -W -f='${Package}\n' 'libjs-*' 2>/dev/null || true) \
 && if [ -n "$ui" ]; then dpkg --purge --force-depends $ui; fi \
 && mkdir -p /prometheus /etc/prometheus && chown -R nobody:nogroup /prometheus /etc/prometheus
USER nobody
WORKDIR /prometheus
VOLUME /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]

# ---- quay.io/coreos/etcd ------------------------------------------------------
FROM apt AS etcd
# The official image: /usr/local/bin/etcd and etcdctl (v3 API), run as root, configured by ETCD_*.
RUN apt-get install -y -q etcd-server etcd-client && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/bin/etcd /usr/local/bin/etcd && ln -s /usr/bin/etcdctl /usr/local/bin/etcdctl
ENV ETCDCTL_API=3
EXPOSE 2379 2380
CMD ["/usr/local/bin/etcd"]

# ---- haproxy:2.8-bookworm ----------------------------------------------------
FROM apt AS haproxy
# The official image: user haproxy, the configuration under /usr/local/etc/haproxy, and an
# entrypoint that runs `haproxy …` as `haproxy -W -db …` (master-worker, in the foreground).
RUN apt-get install -y -q haproxy && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /usr/local/etc/haproxy /var/lib/haproxy && chown haproxy:haproxy /var/lib/haproxy
COPY haproxy-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER haproxy
WORKDIR /var/lib/haproxy
STOPSIGNAL SIGUSR1
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
