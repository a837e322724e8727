#!/usr/bin/env bash
# The real n8n server (2.41.3), installed apart from the package in scripts/n8n-server/.
# Nothing here touches the package's own dependencies. See scripts/n8n-server/README.md.
#
#   scripts/n8n-server.sh install               npm ci + sqlite3 build, each only when needed
#   scripts/n8n-server.sh user-folder DIR [PKG] install PKG (default: this repo, built) into DIR/.n8n/nodes
#   scripts/n8n-server.sh import DIR [CREDS]    import a credentials file (first) and workflows-templates/*.json
#   scripts/n8n-server.sh cli DIR ARGS...       run an n8n CLI command (import:workflow, export:nodes, ...) for DIR
#   scripts/n8n-server.sh start [DIR]           run n8n in the foreground (default DIR: .n8n-user)
#   scripts/n8n-server.sh start-bg [DIR]        run n8n in the background, wait until it is ready
#   scripts/n8n-server.sh stop [DIR]            stop the background n8n of DIR (and its workers)
#   scripts/n8n-server.sh worker-bg DIR N       queue mode: worker N in the background, wait until it is ready
#   scripts/n8n-server.sh start-queue [DIR]     queue mode in the foreground: N8N_WORKERS (2) workers, then the main
#   scripts/n8n-server.sh version               print the installed n8n version
#
# Environment: N8N_PORT (5678), N8N_LISTEN_ADDRESS (127.0.0.1), N8N_START_TIMEOUT (seconds, 240),
# BACKOFFICE_INSTALL_METHOD (n8n | tarball | link, see user-folder), N8N_TEMPLATES_DIR (workflows-templates).
# Queue mode (BACKOFFICE_N8N_MODE=queue; PostgreSQL and Redis from scripts/queue-servers.sh): BO_PG_PORT,
# BO_REDIS_PORT, BO_N8N_DATABASE (n8n), QUEUE_BULL_PREFIX (bull), N8N_ENCRYPTION_KEY (else DIR's own key file).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER_DIR="$ROOT/scripts/n8n-server"
N8N_VERSION_WANTED="$(sed -n 's/.*"n8n": *"\([^"]*\)".*/\1/p' "$SERVER_DIR/package.json" | head -n1)"
N8N_BIN="$SERVER_DIR/node_modules/n8n/bin/n8n"
DEFAULT_USER_DIR="$ROOT/.n8n-user"
INSTALL_STAMP="$SERVER_DIR/node_modules/.backoffice-install-stamp"
SQLITE_DIR="$SERVER_DIR/node_modules/sqlite3"

# shellcheck source=scripts/node24.sh disable=SC1091
source "$ROOT/scripts/node24.sh"

log() { printf '[n8n-server] %s\n' "$*" >&2; }
die() { printf '[n8n-server] error: %s\n' "$*" >&2; exit 1; }
abspath() { mkdir -p "$1" && (cd "$1" && pwd); }
sha() { sha256sum "$@" | sha256sum | cut -c1-16; }

require_installed() {
	[ -x "$N8N_BIN" ] || die "n8n is not installed: run 'bash scripts/n8n-server.sh install' first"
}

# The folder of npm's bundled node-gyp (npm ships it; no download needed).
node_gyp_js() {
	local npm_cli npm_root
	npm_cli="$(readlink -f "$(command -v npm)")"
	npm_root="$(cd "$(dirname "$npm_cli")/.." && pwd)"
	if [ -f "$npm_root/node_modules/node-gyp/bin/node-gyp.js" ]; then
		echo "$npm_root/node_modules/node-gyp/bin/node-gyp.js"
	fi
}

sqlite_loads() {
	(cd "$SERVER_DIR" && node -e 'require("sqlite3")' >/dev/null 2>&1)
}

cmd_install() {
	local t0 t1 stamp
	t0=$(date +%s)
	[ -f "$SERVER_DIR/package-lock.json" ] || die "missing $SERVER_DIR/package-lock.json"
	# the stamp covers the lockfile, package.json and the Node major the modules were installed for
	stamp="$(sha "$SERVER_DIR/package-lock.json" "$SERVER_DIR/package.json") node$(node -p 'process.versions.modules')"
	if [ -d "$SERVER_DIR/node_modules" ] && [ -f "$INSTALL_STAMP" ] && [ "$(cat "$INSTALL_STAMP")" = "$stamp" ]; then
		log "node_modules up to date (lockfile unchanged)"
	else
		log "npm ci in scripts/n8n-server (about 2-4 min, 2.4 GB) ..."
		# --ignore-scripts: install scripts that download prebuilt binaries fail offline and none is
		# needed; sqlite3 is built below. --legacy-peer-deps: n8n's tree has peer conflicts.
		(cd "$SERVER_DIR" && npm ci --ignore-scripts --legacy-peer-deps --no-audit --no-fund --loglevel=error)
		echo "$stamp" >"$INSTALL_STAMP"
	fi

	if sqlite_loads; then
		log "sqlite3 native module loads"
	else
		local gyp s0
		gyp="$(node_gyp_js)"
		s0=$(date +%s)
		log "building sqlite3 from source against Node $(node -v) headers (about 1 min) ..."
		local args=(rebuild --release --jobs=max)
		if [ -f "${npm_config_nodedir:-}/include/node/node.h" ]; then
			args+=(--nodedir="$npm_config_nodedir")
		else
			unset npm_config_nodedir # let node-gyp use its own headers for this node
		fi
		if [ -n "$gyp" ]; then
			(cd "$SQLITE_DIR" && node "$gyp" "${args[@]}" >"$SERVER_DIR/node_modules/.sqlite3-build.log" 2>&1) ||
				{ tail -n 30 "$SERVER_DIR/node_modules/.sqlite3-build.log" >&2; die "sqlite3 build failed"; }
		else
			(cd "$SQLITE_DIR" && npx --yes node-gyp "${args[@]}" >"$SERVER_DIR/node_modules/.sqlite3-build.log" 2>&1) ||
				{ tail -n 30 "$SERVER_DIR/node_modules/.sqlite3-build.log" >&2; die "sqlite3 build failed"; }
		fi
		sqlite_loads || die "sqlite3 was built but does not load"
		log "sqlite3 built in $(($(date +%s) - s0)) s"
	fi

	local v
	v="$(node "$N8N_BIN" --version 2>/dev/null | tail -n1)"
	[ "$v" = "$N8N_VERSION_WANTED" ] || die "n8n --version printed '$v', expected $N8N_VERSION_WANTED"
	t1=$(date +%s)
	log "n8n $v ready with Node $(node -v) ($((t1 - t0)) s)"
}

# Puts a package into DIR/.n8n/nodes/node_modules/<name>, where n8n loads every n8n-nodes-* package from.
#   n8n     (default) what n8n 2.41.3 itself does when a user installs a community package
#           (CommunityPackagesService.downloadPackage): npm pack, unpack into node_modules/<name>, drop
#           devDependencies/peerDependencies/optionalDependencies from its package.json, then
#           `npm install --install-strategy=shallow --ignore-scripts` inside it, and record the version in
#           DIR/.n8n/nodes/package.json. n8n-workflow is not installed: n8n's own copy is found at run time.
#   tarball `npm install --omit=dev --omit=peer --ignore-scripts <tarball>` in DIR/.n8n/nodes.
#   link    symlink to the package folder (development only: the package then resolves its own
#           node_modules/n8n-workflow, a second copy next to n8n's).
cmd_user_folder() {
	local dir="${1:?usage: user-folder DIR [PACKAGE_DIR_OR_TGZ]}" pkg="${2:-$ROOT}" method="${BACKOFFICE_INSTALL_METHOD:-n8n}"
	dir="$(abspath "$dir")"
	local nodes="$dir/.n8n/nodes" tmp tgz name version
	mkdir -p "$nodes/node_modules"
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' RETURN

	if [ -d "$pkg" ]; then
		pkg="$(cd "$pkg" && pwd)"
		[ -d "$pkg/dist" ] || die "$pkg/dist is missing: run 'npm run build' first"
	fi
	if [ "$method" = link ]; then
		[ -d "$pkg" ] || die "link needs a package folder"
		name="$(node -p "require('$pkg/package.json').name")"
		rm -rf "${nodes:?}/node_modules/$name"
		ln -s "$pkg" "$nodes/node_modules/$name"
		log "linked $name -> $pkg"
		return
	fi
	if [ -d "$pkg" ]; then
		tgz="$tmp/$(cd "$tmp" && npm pack --silent --ignore-scripts "$pkg" | tail -n1)"
	else
		tgz="$(cd "$(dirname "$pkg")" && pwd)/$(basename "$pkg")"
	fi
	[ -f "$tgz" ] || die "npm pack produced no tarball"
	mkdir -p "$tmp/x" && tar -xzf "$tgz" -C "$tmp/x" --strip-components=1
	name="$(node -p "require('$tmp/x/package.json').name")"
	version="$(node -p "require('$tmp/x/package.json').version")"
	[ -f "$nodes/package.json" ] || echo '{ "name": "installed-nodes", "private": true, "dependencies": {} }' >"$nodes/package.json"
	# npm pack gives the same bytes for the same files, so an unchanged package is not installed again
	local stamp="$nodes/.$name.$method.sha256" sum
	sum="$(sha256sum "$tgz" | cut -d' ' -f1)"
	if [ -d "$nodes/node_modules/$name" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
		log "$name@$version already installed in $nodes (unchanged)"
		return
	fi
	rm -f "$nodes"/."$name".*.sha256

	case "$method" in
	n8n)
		local target="$nodes/node_modules/$name"
		rm -rf "$target" && mkdir -p "$target"
		cp -a "$tmp/x/." "$target/"
		node -e '
			const fs = require("fs"); const f = process.argv[1];
			const { devDependencies, peerDependencies, optionalDependencies, ...pkg } = JSON.parse(fs.readFileSync(f, "utf8"));
			fs.writeFileSync(f, JSON.stringify(pkg, null, 2));' "$target/package.json"
		(cd "$target" && npm install --audit=false --fund=false --bin-links=false --install-strategy=shallow \
			--ignore-scripts=true --package-lock=false --loglevel=error)
		node -e '
			const fs = require("fs"); const [f, name, version] = process.argv.slice(1);
			const pkg = JSON.parse(fs.readFileSync(f, "utf8")); pkg.dependencies = { ...pkg.dependencies, [name]: version };
			fs.writeFileSync(f, JSON.stringify(pkg, null, 2));' "$nodes/package.json" "$name" "$version"
		;;
	tarball)
		cp "$tgz" "$nodes/$name.tgz"
		(cd "$nodes" && npm install --omit=dev --omit=peer --ignore-scripts --no-audit --no-fund --loglevel=error "./$name.tgz")
		;;
	*) die "unknown BACKOFFICE_INSTALL_METHOD '$method' (n8n | tarball | link)" ;;
	esac
	if [ -e "$nodes/node_modules/n8n-workflow" ] || [ -e "$nodes/node_modules/$name/node_modules/n8n-workflow" ]; then
		die "n8n-workflow was installed next to $name; n8n's own copy must be used"
	fi
	echo "$sum" >"$stamp"
	log "installed $name@$version into $nodes/node_modules/$name ($method)"
}

# n8n's settings for this project: SQLite, local only, no telemetry and as little outbound traffic as n8n allows.
n8n_env() {
	local dir="$1"
	export N8N_USER_FOLDER="$dir"
	# n8n refuses to start (silently, exit 1) under NODE_ENV=test, which jest sets; unset, it runs in
	# development mode. A real installation runs in production mode.
	export NODE_ENV=production
	export N8N_PORT="${N8N_PORT:-5678}"
	export N8N_LISTEN_ADDRESS="${N8N_LISTEN_ADDRESS:-127.0.0.1}"
	export N8N_HOST="${N8N_HOST:-localhost}"
	# the task broker (internal JS task runner) listens on a second port, 5679 by default
	export N8N_RUNNERS_BROKER_PORT="${N8N_RUNNERS_BROKER_PORT:-$((N8N_PORT + 1))}"
	export DB_TYPE="${DB_TYPE:-sqlite}"
	[ "${BACKOFFICE_N8N_MODE:-}" != queue ] || queue_env "$dir"
	export N8N_DIAGNOSTICS_ENABLED=false
	export N8N_PERSONALIZATION_ENABLED=false
	export N8N_VERSION_NOTIFICATIONS_ENABLED=false
	export N8N_TEMPLATES_ENABLED=false
	export N8N_HIRING_BANNER_ENABLED=false
	export N8N_SECURE_COOKIE=false
	export N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=true
	export N8N_COMMUNITY_PACKAGES_ENABLED=true
	export N8N_UNVERIFIED_PACKAGES_ENABLED=true
	# mcp-registry refreshes a catalogue from api.n8n.io at start-up (a failed look-up and a stack trace offline)
	export N8N_DISABLED_MODULES="${N8N_DISABLED_MODULES-mcp-registry}"
	export N8N_LOG_LEVEL="${N8N_LOG_LEVEL:-info}"
	export N8N_DYNAMIC_BANNERS_ENABLED=false
	export EXTERNAL_FRONTEND_HOOKS_URLS=
	export N8N_DIAGNOSTICS_CONFIG_FRONTEND=
	export N8N_DIAGNOSTICS_CONFIG_BACKEND=
}

user_dir_arg() {
	local dir="${1:-$DEFAULT_USER_DIR}"
	abspath "$dir"
}

cmd_start() {
	require_installed
	local dir
	dir="$(user_dir_arg "${1:-}")"
	if [ -f "$dir/n8n.pid" ] && kill -0 "$(cat "$dir/n8n.pid")" 2>/dev/null; then
		die "n8n already runs in the background for $dir (pid $(cat "$dir/n8n.pid")): 'scripts/n8n-server.sh stop $dir' first"
	fi
	n8n_env "$dir"
	log "n8n $(node "$N8N_BIN" --version | tail -n1), user folder $dir"
	log "editor: http://localhost:$N8N_PORT"
	exec node "$N8N_BIN" start
}

cmd_start_bg() {
	require_installed
	local dir
	dir="$(user_dir_arg "${1:-}")"
	n8n_env "$dir"
	launch_bg n8n "$dir/n8n.pid" "$dir/n8n.log" "http://127.0.0.1:$N8N_PORT" start
}

# Starts `node n8n ARGS...` in the background (own session, so that `stop` ends it and its task runner as one
# process group), writes PIDFILE and waits until URL/healthz and URL/healthz/readiness answer. A worker's log
# is appended to (a restarted worker keeps the lines of the executions it ran before).
launch_bg() {
	local what="$1" pidfile="$2" logfile="$3" url="$4" timeout="${N8N_START_TIMEOUT:-240}"
	shift 4
	if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		die "$what already runs (pid $(cat "$pidfile"))"
	fi
	local t0
	t0=$(date +%s%N)
	if [ "$1" = worker ]; then
		setsid node "$N8N_BIN" "$@" >>"$logfile" 2>&1 </dev/null &
	else
		setsid node "$N8N_BIN" "$@" >"$logfile" 2>&1 </dev/null &
	fi
	local pid=$!
	echo "$pid" >"$pidfile"
	local ready=""
	while :; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 40 "$logfile" >&2
			rm -f "$pidfile"
			die "$what exited during start-up (log: $logfile)"
		fi
		if [ -z "$ready" ] && curl -fsS -o /dev/null "$url/healthz" 2>/dev/null; then
			ready=healthz
			log "$what: /healthz answered after $((($(date +%s%N) - t0) / 1000000)) ms"
		fi
		if [ -n "$ready" ] && curl -fsS -o /dev/null "$url/healthz/readiness" 2>/dev/null; then
			break
		fi
		if [ $((($(date +%s%N) - t0) / 1000000000)) -ge "$timeout" ]; then
			tail -n 40 "$logfile" >&2
			kill -TERM -- "-$pid" 2>/dev/null || true
			rm -f "$pidfile"
			die "$what did not get ready within $timeout s (log: $logfile)"
		fi
		sleep 0.5
	done
	log "$what ready at $url after $((($(date +%s%N) - t0) / 1000000)) ms (pid $pid, log $logfile)"
}

# Queue mode (BACKOFFICE_N8N_MODE=queue): PostgreSQL and Redis of scripts/queue-servers.sh, executions in
# workers. Every process of one installation shares DIR's encryption key (DIR/queue-encryption-key).
queue_env() {
	local dir="$1" keyfile="$1/queue-encryption-key"
	export EXECUTIONS_MODE=queue
	export DB_TYPE=postgresdb
	export DB_POSTGRESDB_HOST=127.0.0.1
	export DB_POSTGRESDB_PORT="${BO_PG_PORT:-10543}"
	export DB_POSTGRESDB_DATABASE="${BO_N8N_DATABASE:-n8n}"
	export DB_POSTGRESDB_USER=n8n
	export DB_POSTGRESDB_PASSWORD="${BO_PG_PASSWORD:-n8n-queue-secret}"
	export QUEUE_BULL_REDIS_HOST=127.0.0.1
	export QUEUE_BULL_REDIS_PORT="${BO_REDIS_PORT:-10379}"
	export QUEUE_BULL_PREFIX="${QUEUE_BULL_PREFIX:-bull}"
	# manual runs ("Execute workflow") go to the workers too, as they always will from n8n 3
	export OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS=true
	if [ -z "${N8N_ENCRYPTION_KEY:-}" ]; then
		[ -s "$keyfile" ] || (umask 077 && openssl rand -hex 24 >"$keyfile")
		N8N_ENCRYPTION_KEY="$(cat "$keyfile")"
		export N8N_ENCRYPTION_KEY
	fi
}

# Worker N of the queue-mode installation DIR: user folder DIR/worker-N (DIR's installed package, linked),
# health check on QUEUE_HEALTH_CHECK_PORT (default N8N_PORT + 2N), task broker on N8N_RUNNERS_BROKER_PORT
# (default N8N_PORT + 2N + 1); DIR/worker-N.pid, DIR/worker-N.log.
cmd_worker_bg() {
	require_installed
	local dir n="${2:-1}"
	dir="$(user_dir_arg "${1:-}")"
	[ "${BACKOFFICE_N8N_MODE:-}" = queue ] || die "workers need queue mode: BACKOFFICE_N8N_MODE=queue"
	local port="${N8N_PORT:-5678}" wdir="$dir/worker-$n"
	mkdir -p "$wdir/.n8n"
	[ -e "$wdir/.n8n/nodes" ] || ln -s "$dir/.n8n/nodes" "$wdir/.n8n/nodes"
	export QUEUE_HEALTH_CHECK_ACTIVE=true
	export QUEUE_HEALTH_CHECK_PORT="${QUEUE_HEALTH_CHECK_PORT:-$((port + 2 * n))}"
	export N8N_RUNNERS_BROKER_PORT="${N8N_RUNNERS_BROKER_PORT:-$((port + 2 * n + 1))}"
	queue_env "$dir"
	n8n_env "$wdir"
	launch_bg "worker $n" "$dir/worker-$n.pid" "$dir/worker-$n.log" "http://127.0.0.1:$QUEUE_HEALTH_CHECK_PORT" \
		worker --concurrency="${N8N_WORKER_CONCURRENCY:-10}"
}

# Queue mode in the foreground (`npm run start:queue`): workers 1..N8N_WORKERS (2) in the background, the main
# in the foreground; the workers stop with it.
cmd_start_queue() {
	require_installed
	local dir n workers="${N8N_WORKERS:-2}"
	dir="$(user_dir_arg "${1:-}")"
	export BACKOFFICE_N8N_MODE=queue
	for n in $(seq 1 "$workers"); do (cmd_worker_bg "$dir" "$n"); done
	trap 'stop_workers "$dir"' EXIT
	trap 'exit 130' INT TERM
	n8n_env "$dir"
	log "n8n $(node "$N8N_BIN" --version | tail -n1) in queue mode: main + $workers worker(s), user folder $dir"
	log "editor: http://localhost:$N8N_PORT"
	node "$N8N_BIN" start
}

# Ends the process group of PIDFILE: TERM, then KILL after 30 s.
stop_pidfile() {
	local pidfile="$1" what="$2"
	[ -f "$pidfile" ] || return 0
	local pid
	pid="$(cat "$pidfile")"
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 60); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "$what (pid $pid) did not stop in 30 s: killing it"
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$pidfile"
}

stop_workers() {
	local f
	for f in "$1"/worker-*.pid; do
		[ -e "$f" ] || continue
		stop_pidfile "$f" "$(basename "$f" .pid)"
	done
}

cmd_stop() {
	local dir
	dir="$(user_dir_arg "${1:-}")"
	stop_workers "$dir"
	[ -f "$dir/n8n.pid" ] || { log "no pid file in $dir: not running"; return 0; }
	stop_pidfile "$dir/n8n.pid" n8n
	log "stopped n8n of $dir"
}

cmd_import() {
	require_installed
	local dir="${1:?usage: import DIR [CREDENTIALS_FILE]}" creds="${2:-}" templates="${N8N_TEMPLATES_DIR:-$ROOT/workflows-templates}"
	dir="$(abspath "$dir")"
	n8n_env "$dir"
	# credentials first: a template names its credentials ({"id": null, "name": "ERP API"}), and
	# import:workflow links such a reference to the one credential of that name and type, if it exists
	if [ -n "$creds" ]; then
		[ -f "$creds" ] || die "no such credentials file: $creds"
		node "$N8N_BIN" import:credentials --input="$creds"
		log "imported credentials from $creds"
	fi
	if compgen -G "$templates/*.json" >/dev/null; then
		node "$N8N_BIN" import:workflow --separate --input="$templates"
		log "imported $(compgen -G "$templates/*.json" | wc -l) workflow template(s) into $dir"
	else
		log "no workflow templates in $templates: nothing to import"
	fi
}

# Any n8n CLI command with the settings of DIR (N8N_USER_FOLDER, database, ...), e.g.
#   cli DIR import:workflow --input=file.json    cli DIR export:nodes --output=nodes.json
cmd_cli() {
	require_installed
	local dir="${1:?usage: cli DIR ARGS...}"
	shift
	dir="$(abspath "$dir")"
	n8n_env "$dir"
	node "$N8N_BIN" "$@"
}

cmd="${1:-}"
shift || true
case "$cmd" in
install) cmd_install "$@" ;;
user-folder) cmd_user_folder "$@" ;;
start) cmd_start "$@" ;;
start-bg) cmd_start_bg "$@" ;;
worker-bg) cmd_worker_bg "$@" ;;
start-queue) cmd_start_queue "$@" ;;
stop) cmd_stop "$@" ;;
import) cmd_import "$@" ;;
cli) cmd_cli "$@" ;;
version) require_installed && node "$N8N_BIN" --version | tail -n1 ;;
*)
	sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	[ -z "$cmd" ] || exit 2
	;;
esac
