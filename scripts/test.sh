#!/usr/bin/env bash
# `npm test`: every project's tests in one jest run, against real servers that
# the tests start on free loopback ports. Prints jest's summary and, last, one
# plain "N passed, N failed, N skipped" line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
mkdir -p .voc
results=.voc/test-results.json
rm -f "$results"
set +e
npx jest --ci --maxWorkers="${JEST_MAX_WORKERS:-2}" --json --outputFile="$results" "$@"
code=$?
set -e
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
    if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
  ' "$ROOT/$results" || code=1
fi
exit $code
