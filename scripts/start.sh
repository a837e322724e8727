#!/usr/bin/env bash
# `npm start`: the package in a real n8n, on http://localhost:5678, from a fresh machine with no manual step.
#   Node 24 (scripts/node24.sh, even when npm itself runs on an older node), the package's npm dependencies
#   (scripts/deps.sh, only when package-lock.json changed), a build, the n8n server (scripts/n8n-server.sh
#   install, only when its lockfile changed), the built package installed into the user folder .n8n-user/
#   the way n8n installs a community package, the workflow templates imported (when they changed), then
#   n8n in the foreground. Ctrl+C stops it. Everything stays inside the repository folder.
#
# `npm run start:queue` (scripts/start.sh queue): the same in n8n's queue mode: PostgreSQL 15 and Redis 7
#   (scripts/queue-servers.sh, state folder BO_QUEUE_DIR, default /tmp/bo-n8n-queue; ports
#   BO_PG_PORT 10543, BO_REDIS_PORT 10379), n8n's main in the foreground and N8N_WORKERS (2) workers
#   (user folder .n8n-user-queue; the workers' health checks on N8N_PORT + 2, + 4, ...). Ctrl+C stops n8n;
#   `bash scripts/queue-servers.sh stop` (same BO_QUEUE_DIR) stops PostgreSQL and Redis.
#
# Environment: N8N_PORT (5678), N8N_USER_DIR (.n8n-user), N8N_LISTEN_ADDRESS (127.0.0.1; 0.0.0.0 to reach
# it from another machine), N8N_IMPORT_CREDENTIALS (an n8n credentials export to import once).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=scripts/node24.sh disable=SC1091
source scripts/node24.sh
mode="${1:-default}"
case "$mode" in
default) ;;
queue)
	export BACKOFFICE_N8N_MODE=queue
	export BO_QUEUE_DIR="${BO_QUEUE_DIR:-/tmp/bo-n8n-queue}"
	export N8N_USER_DIR="${N8N_USER_DIR:-$ROOT/.n8n-user-queue}"
	;;
*) echo "start: unknown mode '$mode' (default | queue)" >&2; exit 2 ;;
esac

t0=$(date +%s)
bash scripts/deps.sh
npm run --silent build
bash scripts/n8n-server.sh install
if [ "$mode" = queue ]; then
	bash scripts/system-packages.sh
	bash scripts/queue-servers.sh start
fi

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
if [ "$mode" = queue ]; then exec bash scripts/n8n-server.sh start-queue "$user_dir"; fi
exec bash scripts/n8n-server.sh start "$user_dir"
