# Stand-in for the official node:20-bookworm-slim, built without a registry
# by infra/containers (npm run test:containers): Debian bookworm (minbase,
# from debootstrap) plus the Node and npm of the machine running the test,
# laid out like the official image (/usr/local/bin/node, npm, npx) with its
# `node` user (uid/gid 1000) that the project's runtime stage switches to.
# Build context: a directory holding `node` (the binary) and `npm/` (npm's
# package directory); images.ts assembles it.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
CMD ["node"]
