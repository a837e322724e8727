#!/usr/bin/env bash
# PostgreSQL 15 and Redis 7 (Debian 12's packages, scripts/system-packages.sh installs them) on 127.0.0.1 for
# n8n's queue mode, each with its own data folder: the system's default cluster and redis service are never
# used or touched.
#
#   scripts/queue-servers.sh start              # start both (create the data folders on the first start)
#   scripts/queue-servers.sh stop               # stop exactly what this script started (exit 0 if nothing ran)
#   scripts/queue-servers.sh status             # exit 0 when both answer
#   scripts/queue-servers.sh restart-postgres   # fast shutdown + start (data kept); returns when it answers
#   scripts/queue-servers.sh restart-redis      # shutdown + start (its append-only file keeps the queue)
#   scripts/queue-servers.sh kill-postgres      # SIGKILL the postmaster and its processes (a crash), then start it (crash recovery)
#   scripts/queue-servers.sh createdb NAME      # a fresh, empty database NAME owned by the n8n user
#   scripts/queue-servers.sh dropdb NAME
#
# State folder: BO_QUEUE_DIR, default ${BACKOFFICE_SERVERS_DIR:-/tmp/bo-srv}-queue (next to, not inside, the
# folder of scripts/test-servers.sh, whose start wipes its own folder).
# Ports: BO_PG_PORT (10543), BO_REDIS_PORT (10379). n8n logs in as user n8n, password BO_PG_PASSWORD
# (n8n-queue-secret), database n8n by default. Writes env.json into its folder (ports, user, password) for tests.
# Run as root, PostgreSQL runs as the system user postgres; as any other user, both run as that user.
set -euo pipefail
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

BASE="${BACKOFFICE_SERVERS_DIR:-/tmp/bo-srv}"
DIR="${BO_QUEUE_DIR:-${BASE%/}-queue}"
DIR="${DIR%/}"
HOST=127.0.0.1
PG_PORT="${BO_PG_PORT:-10543}"
REDIS_PORT="${BO_REDIS_PORT:-10379}"
PG_USER=n8n
PG_PASSWORD="${BO_PG_PASSWORD:-n8n-queue-secret}"
PG_DATABASE=n8n
PG_BIN="${BO_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DATA="$DIR/pg/data"
PG_SOCK="$DIR/pg/run"
PG_LOG="$DIR/pg/postgres.log"
REDIS_DIR="$DIR/redis"
REDIS_CONF="$REDIS_DIR/redis.conf"
START_TIMEOUT="${BO_START_TIMEOUT:-30}"

log() { echo "queue-servers: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# PostgreSQL refuses to run as root: as root it runs as the system user postgres (created by the package)
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_admin() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -d postgres "$@"; }

require() {
	[ -x "$PG_BIN/postgres" ] || die "PostgreSQL 15 is missing: run 'bash scripts/system-packages.sh' (as root)"
	command -v redis-server >/dev/null || die "redis-server is missing: run 'bash scripts/system-packages.sh' (as root)"
}

pg_running() { [ -f "$PG_DATA/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }
redis_running() { redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

pg_init() {
	[ -f "$PG_DATA/PG_VERSION" ] && return 0
	log "creating the PostgreSQL cluster in $PG_DATA"
	mkdir -p "$DIR/pg" "$PG_SOCK"
	# the postgres user must reach its folders inside the state folder
	chmod a+x "$DIR"
	[ "$(id -u)" -eq 0 ] && chown -R postgres: "$DIR/pg"
	local pwfile="$DIR/pg/.pw"
	echo "$PG_PASSWORD" >"$pwfile"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$pwfile"
	as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
		--encoding=UTF8 --locale=C.UTF-8 >"$DIR/pg/initdb.log" 2>&1 || { cat "$DIR/pg/initdb.log" >&2; die "initdb failed"; }
	rm -f "$pwfile"
}

# recovery_init_sync_method=syncfs: crash recovery starts by flushing the data directory; file by file (the
# default) that took over 30 s on a loaded CI box once the tests had created their databases, one syncfs() does
# it at once. $1: how long to wait for the start (crash recovery included).
pg_start() {
	pg_init
	if pg_running; then log "PostgreSQL already runs on $HOST:$PG_PORT"; return 0; fi
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "${1:-$START_TIMEOUT}" start \
		-o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=$HOST -c fsync=on -c recovery_init_sync_method=syncfs -c max_connections=200" >/dev/null ||
		{ tail -n 20 "$PG_LOG" >&2; die "PostgreSQL did not start"; }
	# the n8n role and its default database (idempotent)
	psql_admin -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
		CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'; END IF; END\$\$;"
	psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'" | grep -q 1 ||
		psql_admin -c "CREATE DATABASE $PG_DATABASE OWNER $PG_USER"
	log "PostgreSQL 15 on $HOST:$PG_PORT (data $PG_DATA)"
}

pg_stop() {
	pg_running || return 0
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t "$START_TIMEOUT" stop >/dev/null
	log "PostgreSQL stopped"
}

redis_start() {
	if redis_running; then log "Redis already runs on $HOST:$REDIS_PORT"; return 0; fi
	mkdir -p "$REDIS_DIR"
	# append-only file with fsync per write: a restart keeps every queued job
	cat >"$REDIS_CONF" <<EOF
bind $HOST
port $REDIS_PORT
protected-mode yes
daemonize yes
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
dir $REDIS_DIR
appendonly yes
appendfsync always
save ""
EOF
	redis-server "$REDIS_CONF"
	local t0=$SECONDS
	until redis_running; do
		[ $((SECONDS - t0)) -lt "$START_TIMEOUT" ] || { tail -n 20 "$REDIS_DIR/redis.log" >&2; die "Redis did not start"; }
		sleep 0.2
	done
	log "Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on $HOST:$REDIS_PORT (data $REDIS_DIR)"
}

redis_stop() {
	[ -f "$REDIS_DIR/redis.pid" ] || return 0
	local pid
	pid="$(cat "$REDIS_DIR/redis.pid")"
	if kill -0 "$pid" 2>/dev/null; then
		redis-cli -h "$HOST" -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	fi
	rm -f "$REDIS_DIR/redis.pid"
	log "Redis stopped"
}

write_env() {
	cat >"$DIR/env.json" <<EOF
{
  "host": "$HOST",
  "postgres": { "port": $PG_PORT, "user": "$PG_USER", "password": "$PG_PASSWORD", "database": "$PG_DATABASE" },
  "redis": { "port": $REDIS_PORT }
}
EOF
}

valid_name() { [[ "$1" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "database name '$1': lower-case letters, digits, _ only"; }

cmd="${1:-}"
case "$cmd" in
start)
	require
	mkdir -p "$DIR"
	pg_start
	redis_start
	write_env
	;;
stop)
	redis_stop
	pg_stop
	;;
status)
	ok=0
	if pg_running; then echo "postgres: running on $HOST:$PG_PORT"; else echo "postgres: not running"; ok=1; fi
	if redis_running; then echo "redis: running on $HOST:$REDIS_PORT"; else echo "redis: not running"; ok=1; fi
	exit $ok
	;;
restart-postgres)
	pg_stop
	pg_start
	;;
kill-postgres)
	# a crash: SIGKILL for the postmaster and every process it started (every connection cut, no shutdown
	# checkpoint); the start after it runs PostgreSQL's crash recovery from the write-ahead log. Every client must
	# see its connection cut, nothing else: the postmaster is stopped first (SIGSTOP: it forks no backend the list
	# below would miss), its processes are killed before it (a backend that outlives the postmaster by a moment
	# answers its client "terminating connection due to unexpected postmaster exit", 57P01, instead), then it.
	pid="$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || die "PostgreSQL does not run (no live postmaster in $PG_DATA/postmaster.pid): nothing to kill"
	kill -STOP "$pid"
	# the signal is delivered asynchronously: wait until the postmaster is stopped (state T)
	# a process's state letter from /proc (empty when it is gone); the name in parentheses may hold spaces
	proc_state() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }
	for _ in $(seq 1 200); do [ "$(proc_state "$pid")" = T ] && break; sleep 0.01; done
	[ "$(proc_state "$pid")" = T ] || die "the postmaster $pid did not stop (SIGSTOP)"
	children="$(pgrep -P "$pid" | tr '\n' ' ')"
	# ended: gone, or a zombie (the stopped postmaster cannot reap its children)
	ended() { local state; state="$(proc_state "$1")"; [ -z "$state" ] || [ "$state" = Z ]; }
	# shellcheck disable=SC2086 # a list of process ids
	[ -z "$children" ] || kill -KILL $children 2>/dev/null || true
	for p in $children; do
		for _ in $(seq 1 200); do ended "$p" && break; sleep 0.01; done
		ended "$p" || die "PostgreSQL process $p did not end after SIGKILL"
	done
	kill -KILL "$pid"
	# gone, not just ended: a postmaster not yet reaped still counts as running for pg_ctl
	for _ in $(seq 1 1000); do [ -e "/proc/$pid" ] || break; sleep 0.01; done
	[ ! -e "/proc/$pid" ] || die "the postmaster $pid did not end after SIGKILL"
	log "PostgreSQL killed (SIGKILL: postmaster $pid and its $(wc -w <<<"$children") processes)"
	pg_start 120
	;;
restart-redis)
	redis_stop
	redis_start
	;;
createdb)
	valid_name "${2:-}"
	psql_admin -c "DROP DATABASE IF EXISTS $2" -c "CREATE DATABASE $2 OWNER $PG_USER"
	;;
dropdb)
	valid_name "${2:-}"
	psql_admin -c "DROP DATABASE IF EXISTS $2 WITH (FORCE)"
	;;
*)
	sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	[ -z "$cmd" ] || exit 2
	;;
esac
