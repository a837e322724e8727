#!/usr/bin/env bash
# Installs the package's npm dependencies with Node 24 when node_modules is missing or the lockfile
# changed since the last install (a stamp holds the lockfile's hash), so repeated runs cost nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
stamp=node_modules/.backoffice-lock-hash
want="$(sha256sum package-lock.json | cut -d' ' -f1)-$(node -v)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "deps: npm ci (Node $(node -v))"
  set +e
  npm ci --no-audit --no-fund 2>&1 | grep -v 'Unknown \(user\|env\) config "nodedir"'
  rc=${PIPESTATUS[0]}
  set -e
  [ "$rc" -eq 0 ] || { echo "deps: npm ci failed (exit $rc)" >&2; exit "$rc"; }
  echo "$want" > "$stamp"
fi
