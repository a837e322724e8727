#!/usr/bin/env bash
# `npm start`: the package in a real n8n, on http://localhost:5678, from a fresh machine with no manual step.
#   Node 24 (scripts/node24.sh, even when npm itself runs on an older node), the package's npm dependencies
#   (scripts/deps.sh, only when package-lock.json changed), a build, the n8n server (scripts/n8n-server.sh
#   install, only when its lockfile changed), the built package installed into the user folder .n8n-user/
#   the way n8n installs a community package, the workflow templates imported (when they changed), then
#   n8n in the foreground. Ctrl+C stops it. Everything stays inside the repository folder.
#
# Environment: N8N_PORT (5678), N8N_USER_DIR (.n8n-user), N8N_LISTEN_ADDRESS (127.0.0.1; 0.0.0.0 to reach
# it from another machine), N8N_IMPORT_CREDENTIALS (an n8n credentials export to import once).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=scripts/node24.sh disable=SC1091
source scripts/node24.sh

t0=$(date +%s)
bash scripts/deps.sh
npm run --silent build
bash scripts/n8n-server.sh install

user_dir="${N8N_USER_DIR:-$ROOT/.n8n-user}"
mkdir -p "$user_dir"
user_dir="$(cd "$user_dir" && pwd)"
bash scripts/n8n-server.sh user-folder "$user_dir"

# Import the templates on the first start and whenever they change. Templates carry fixed ids, so a new
# import replaces the earlier copies instead of adding duplicates (and overwrites edits made to them).
stamp="$user_dir/.templates-imported"
want="$( (cat workflows-templates/*.json 2>/dev/null; cat "${N8N_IMPORT_CREDENTIALS:-/dev/null}") | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	bash scripts/n8n-server.sh import "$user_dir" ${N8N_IMPORT_CREDENTIALS:+"$N8N_IMPORT_CREDENTIALS"}
	echo "$want" >"$stamp"
fi

port="${N8N_PORT:-5678}"
echo
echo "start: ready in $(($(date +%s) - t0)) s; n8n starts now (first start: about 10-60 s)."
echo "start: open http://localhost:$port (first visit: create the owner account; Ctrl+C stops n8n)"
echo
exec bash scripts/n8n-server.sh start "$user_dir"
