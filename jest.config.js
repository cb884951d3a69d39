// Root jest config: every project's tests in one run (what `npm test` uses).
// `nx run-many -t test` / `nx affected -t test` run each project's own config instead.
const { readdirSync, existsSync } = require('node:fs');
const path = require('node:path');

const projects = ['apps', 'libs', 'tools'].flatMap((dir) =>
  readdirSync(path.join(__dirname, dir))
    .map((p) => path.join(__dirname, dir, p, 'jest.config.js'))
    .filter((f) => existsSync(f)),
).concat(['e2e', 'e2e/faults', 'infra/two-hosts', 'infra/ha', 'infra/containers'].map((p) => path.join(__dirname, p, 'jest.config.js')).filter((f) => existsSync(f)));

module.exports = { projects };
