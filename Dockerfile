# One image for every VOC service: gateway, ingest-, translate-, learning-,
# insight-, theme- and report-svc, llm-sim, and the one-shot database
# migration. A container runs one of them:
#
#   compose (infra/*/compose.yml)   command: [node, --liftoff-only, …, apps/translate-svc/dist/main.js]
#   docker run                      docker run -e APP=translate-svc … voc-pipeline
#   per-app default                 docker build --build-arg APP=gateway …
#   migration                       command: [node, --import, tsx, libs/db/scripts/migrate.ts]
#
# Why one image rather than one per app: the apps share every library and
# the same node_modules, so per-app images would be the same layers eight
# times over; one build, one push, one tag to roll out, and a host pulls it
# once. The app is chosen at run time, not baked in.
#
# Build from the repository root: docker build -t voc-pipeline .
# (or `docker compose -f infra/server-a/compose.yml build`). Plain Dockerfile
# syntax: the classic builder of docker-compose 1.29 builds it too.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, the Prisma client, the bundled apps ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true
# Behind a TLS-intercepting proxy, npm must trust its CA: put the PEM bundle
# in the build context (e.g. .build-ca/ca.pem, gitignored) and pass its path,
#   docker build --build-arg BUILD_CA_FILE=.build-ca/ca.pem …
# It is used by this stage's npm runs only: the runtime stage copies neither
# it nor the variable (the CA is not a secret, but production needs none).
ARG BUILD_CA_FILE=""
# The whole workspace: npm ci needs every workspace's package.json, and the
# apps are built from it. .dockerignore keeps node_modules, builds and
# secrets (.env) out.
COPY . .
# npm ci's postinstall generates the Prisma client (libs/db/src/generated),
# offline; the test makes a missing client fail here, not at run time.
RUN env ${BUILD_CA_FILE:+NODE_EXTRA_CA_CERTS=/app/$BUILD_CA_FILE} npm ci --no-audit --no-fund \
 && test -f libs/db/src/generated/prisma/client.ts
# Bundles each app to apps/<app>/dist/main.js (esbuild; third-party packages
# stay external, see scripts/bundle-app.mjs), the second half of each app's
# build target. The first half, tsc over every library, is not repeated here:
# CI type-checks every project of the commit (.ci/run), and in the image build
# it took minutes of a 2-core machine for no file of the image.
RUN for app in apps/*/; do (cd "$app" && node ../../scripts/bundle-app.mjs) || exit 1; done
# Each app's node command line beside its bundle, for the CMD below: the
# allocator setting and V8 flags of libs/config/src/node-runtime.ts (the
# compose files put the same ones in `command:` and `environment:`).
RUN node --import tsx -e "const c = require('@voc/config'); const env = Object.entries(c.NODE_RUNTIME_ENV).map(([k, v]) => k + '=' + v); for (const n of c.SERVICE_NAMES) require('node:fs').writeFileSync('apps/' + n + '/dist/node-args', [...env, 'node', ...c.nodeFlagsOf(n)].join(' ') + '\\n')"
# What the runtime stage takes: the bundles, the migration step (a TypeScript
# script run by tsx, its SQL migrations) and the container healthcheck.
RUN mkdir -p /out/libs/db/src /out/libs/db/scripts /out/infra/docker \
 && for dist in apps/*/dist; do mkdir -p "/out/${dist%/dist}" && cp -a "$dist" "/out/${dist%/dist}/"; done \
 && cp -a libs/db/package.json libs/db/prisma /out/libs/db/ \
 && cp -a libs/db/scripts/migrate.ts /out/libs/db/scripts/ \
 && cp -a libs/db/src/migrate.ts libs/db/src/migrate /out/libs/db/src/ \
 && cp -a infra/docker/healthcheck.sh /out/infra/docker/

# ---- production node_modules ------------------------------------------------
FROM build AS prod-deps
# A build argument ends with its stage: declared again for this npm ci.
ARG BUILD_CA_FILE=""
# Runtime packages only (tsx included: it runs the migration), without peer
# dependencies: npm would install @prisma/client's peers, the prisma CLI with
# its Studio (React) and TypeScript, ~150 MB no container runs. The migration
# also needs Prisma's schema engine compiled to WebAssembly, a devDependency
# of the root: keep the copy the build stage installed. Scripts are skipped:
# the Prisma client is already bundled into each app. The workspace links
# (node_modules/@voc) point at sources the runtime does not have: the bundles
# inline them.
RUN cp -a node_modules/@prisma/schema-engine-wasm /tmp/schema-engine-wasm \
 && env ${BUILD_CA_FILE:+NODE_EXTRA_CA_CERTS=/app/$BUILD_CA_FILE} npm ci --omit=dev --omit=peer --ignore-scripts --no-audit --no-fund \
 && cp -a /tmp/schema-engine-wasm node_modules/@prisma/schema-engine-wasm \
 && rm -rf node_modules/@voc node_modules/.cache

# ---- runtime ------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# Node >= 20.19 is required: the bundles require() p-limit, an ES module.
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /out/ ./
# Optional default app for `docker run` without a command (see the top of this file).
ARG APP=""
ENV APP=${APP}
# The node user (uid 1000) of the base image: nothing here needs root, and
# the files stay root-owned, so a compromised process cannot change the code.
USER node
# /readyz on the app's port (GATEWAY_PORT, HEALTH_PORT or LLM_SIM_PORT).
# Compose repeats it per service, and turns it off for the migration.
HEALTHCHECK --interval=15s --timeout=10s --start-period=40s --retries=3 \
  CMD ["bash", "infra/docker/healthcheck.sh"]
# The app's node-args (written above: MALLOC_ARENA_MAX=2 node --liftoff-only …)
# keep each process under 150 MB (libs/config/src/node-runtime.ts). exec, then
# env's own exec: node replaces the shell and receives SIGTERM itself (compose
# adds `init: true`, a tiny init that forwards signals and reaps children).
CMD ["/bin/sh", "-c", "exec env $(cat \"apps/${APP:?set APP to the service to run: gateway, ingest-svc, translate-svc, learning-svc, insight-svc, theme-svc, report-svc or llm-sim}/dist/node-args\") \"apps/${APP}/dist/main.js\""]
