#!/usr/bin/env bash
# `npm test`: everything the tests need, then jest. Works on a fresh machine with no manual step:
# Node 24 (scripts/node24.sh), npm dependencies, a build (the e2e test loads dist/ into the real n8n),
# the real n8n server (scripts/n8n-server.sh install, cached), and the mail/FTP servers (started by
# jest's globalSetup unless already running). Arguments go to jest, e.g. `npm test -- test/unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
bash scripts/deps.sh
bash scripts/system-packages.sh
npm run --silent build
only_unit=1
for a in "$@"; do case "$a" in test/unit*) ;; -*) ;; *) only_unit=0 ;; esac; done
[ $# -eq 0 ] && only_unit=0
if [ "$only_unit" = 0 ]; then bash scripts/n8n-server.sh install; fi
mkdir -p .cache
set +e
npx jest --json --outputFile=.cache/jest-results.json "$@"
status=$?
set -e
# One closing line in the plain form "N passed, N failed, N skipped" that any CI can read.
node -e '
  const r = require("./.cache/jest-results.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  if (r.numRuntimeErrorTestSuites) console.log(`jest: ${r.numRuntimeErrorTestSuites} test file(s) could not run`);
' || true
exit $status
