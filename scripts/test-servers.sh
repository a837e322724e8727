#!/usr/bin/env bash
# Real mail and FTP servers on 127.0.0.1 for the integration tests (Debian 12, run as root).
#
#   scripts/test-servers.sh start            # install if missing, (re)start everything, write env.json
#   scripts/test-servers.sh stop             # stop exactly what this script started (exit 0 if nothing ran)
#   scripts/test-servers.sh status           # show what runs; exit 0 when all servers answer
#   scripts/test-servers.sh restart-dovecot  # stop + start Dovecot only (mail is kept); returns when IMAP answers
#   scripts/test-servers.sh reload-postfix   # `postfix reload` (e.g. after editing the recipient access table)
#   scripts/test-servers.sh restart-sshd     # stop + start the SFTP server only (files are kept; sessions end)
#   scripts/test-servers.sh restart-postfix  # stop + start Postfix only (the queue is kept); returns when SMTP answers
#   scripts/test-servers.sh restart-vsftpd   # stop + start both vsftpd (files are kept; sessions end)
#   scripts/test-servers.sh kill-ftp-sessions  # SIGKILL every vsftpd session process; the listeners stay
#
# Servers: Dovecot 2.3 (IMAP + STARTTLS, IMAPS, LMTP + SASL for Postfix), Postfix 3.7 (SMTP without auth
# from loopback, submission STARTTLS + AUTH, implicit TLS + AUTH), two vsftpd 3.0 (plain FTP + explicit
# FTPS, implicit FTPS), an OAuth 2.0 authorization server (scripts/oauth-server.mjs on oidc-provider; Dovecot
# checks XOAUTH2/OAUTHBEARER tokens at its introspection endpoint, Postfix through Dovecot's SASL), OpenSSH 9.2's
# sshd for SFTP only (chrooted users, one with a password, one with keys).
# Everything (configs, mail, FTP home, cert, logs, pids) lives in one state folder:
#   BACKOFFICE_SERVERS_DIR  (default /tmp/bo-srv; keep it short, unix socket paths must stay < 108 chars)
# Ports can be moved with BO_IMAP_PORT, BO_IMAPS_PORT, BO_SMTP_PORT, BO_SUBMISSION_PORT, BO_SMTPS_PORT,
# BO_FTP_PORT, BO_FTPS_PORT, BO_FTP_PASV (e.g. "10100-10199"), BO_FTPS_PASV ("10200-10299"), BO_OAUTH_PORT,
# BO_SFTP_PORT; N8N_PORT only names the n8n editor's OAuth callback that the authorization server accepts.
# sshd's chroot must lie on a path of root-owned, not group/other-writable directories, which /tmp is not:
# it is BO_SFTP_ROOT (default /srv/bo-test-sftp/<state folder with / as _>), wiped on start and stop.
# Tests read ${BACKOFFICE_SERVERS_DIR}/env.json (ports, users, passwords, CA path).
set -euo pipefail
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

DIR="${BACKOFFICE_SERVERS_DIR:-/tmp/bo-srv}"
DIR="${DIR%/}"
HOST=127.0.0.1
DOMAIN=backoffice.test

IMAP_PORT="${BO_IMAP_PORT:-10143}"
IMAPS_PORT="${BO_IMAPS_PORT:-10993}"
SMTP_PORT="${BO_SMTP_PORT:-10025}"
SUBMISSION_PORT="${BO_SUBMISSION_PORT:-10587}"
SMTPS_PORT="${BO_SMTPS_PORT:-10465}"
FTP_PORT="${BO_FTP_PORT:-10021}"
FTPS_PORT="${BO_FTPS_PORT:-10990}"
FTP_PASV="${BO_FTP_PASV:-10100-10199}"
FTPS_PASV="${BO_FTPS_PASV:-10200-10299}"
OAUTH_PORT="${BO_OAUTH_PORT:-10480}"
N8N_CALLBACK_PORT="${N8N_PORT:-5678}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OAUTH_CONF="$DIR/oauth/config.json"
# OAuth clients: the one n8n (and the tests) sign in with, one whose access tokens live 2 s, Dovecot's
OAUTH_CLIENT=backoffice-mail
OAUTH_CLIENT_SECRET=backoffice-mail-secret
OAUTH_SHORT_CLIENT=backoffice-mail-short
# app-only (client credentials) clients: one whose tokens open alice's mailbox, the same with 2-second tokens
OAUTH_APP_CLIENT=backoffice-mail-app
OAUTH_SHORT_APP_CLIENT=backoffice-mail-app-short
OAUTH_APP_MAILBOX=alice
OAUTH_INTROSPECTION_CLIENT=dovecot
OAUTH_INTROSPECTION_SECRET=dovecot-introspection-secret
OAUTH_SCOPE=mail
SFTP_PORT="${BO_SFTP_PORT:-10022}"

# gcc + libc6-dev: the SFTP hold (scripts/sftp-hold.c) is built static at start
PACKAGES=(dovecot-imapd dovecot-lmtpd postfix vsftpd openssl openssh-server gcc libc6-dev)
MAIL_USER=bo-mail            # owns every maildir
FTP_USER=bo-ftp
FTP_PASSWORD=ftp-secret
PAM_SERVICE=bo-vsftpd
SFTP_GROUP=bo-sftp
SFTP_PW_USER=bo-sftp-pw      # logs in with a password only
SFTP_PW_PASSWORD=sftp-secret
SFTP_KEY_USER=bo-sftp-key    # logs in with a key only (OpenSSH ed25519 with passphrase, or RSA PEM)
SFTP_KEY_PASSPHRASE=key-passphrase
SFTP_ROOT="${BO_SFTP_ROOT:-/srv/bo-test-sftp/$(echo "$DIR" | tr / _)}"
SSHD_CONF="$DIR/sftp/sshd_config"
# name:password  (IMAP/SMTP login is name@backoffice.test)
MAIL_USERS=(alice:alice-secret bob:bob-secret carol:carol-secret admin:admin-secret sink:sink-secret)

DOVECOT_CONF="$DIR/dovecot/dovecot.conf"
DOVECOT_RUN="$DIR/dovecot/run"
POSTFIX_DIR="$DIR/postfix"
POSTFIX_QUEUE="$POSTFIX_DIR/queue"
POSTFIX_CONF="$POSTFIX_DIR/etc"     # config folder of its own: postfix check wants everything in it owned by root
VSFTPD_CONF="$DIR/ftp/vsftpd.conf"
VSFTPD_TLS_CONF="$DIR/ftp/vsftpd-implicit.conf"
STOP_TIMEOUT="${BO_STOP_TIMEOUT:-5}"     # seconds between TERM and KILL
START_TIMEOUT="${BO_START_TIMEOUT:-20}"  # seconds a port may take to answer

log() { echo "test-servers: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---------------------------------------------------------------------------------------------------
# Installation (quick no-op when everything is present)
# ---------------------------------------------------------------------------------------------------
pkg_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "packages missing (${missing[*]}) and not root"
    log "installing ${missing[*]}"
    # policy-rc.d exiting 101: the packages must not start the distribution's daemons
    local had_policy=""
    if [ -e /usr/sbin/policy-rc.d ]; then had_policy=1; cp -p /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.bo-saved; fi
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'if [ -n "'"$had_policy"'" ]; then mv -f /usr/sbin/policy-rc.d.bo-saved /usr/sbin/policy-rc.d; else rm -f /usr/sbin/policy-rc.d; fi; exit 130' INT TERM
    local rc=0
    {
      echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections &&
      DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
    } </dev/null >"/tmp/bo-test-servers-apt.log" 2>&1 || rc=$?
    if [ -n "$had_policy" ]; then mv -f /usr/sbin/policy-rc.d.bo-saved /usr/sbin/policy-rc.d; else rm -f /usr/sbin/policy-rc.d; fi
    trap - INT TERM
    if [ "$rc" != 0 ]; then tail -n 30 /tmp/bo-test-servers-apt.log >&2; die "apt-get failed (log: /tmp/bo-test-servers-apt.log)"; fi
  fi
  # system users and the PAM service (idempotent)
  getent group "$MAIL_USER" >/dev/null || groupadd --system "$MAIL_USER"
  getent passwd "$MAIL_USER" >/dev/null ||
    useradd --system --gid "$MAIL_USER" --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$MAIL_USER"
  # home "/" (vsftpd changes into the home before local_root, which is the real, per-folder FTP root)
  if ! getent passwd "$FTP_USER" >/dev/null; then
    useradd --system --user-group --home-dir / --no-create-home --shell /usr/sbin/nologin "$FTP_USER"
  elif [ "$(getent passwd "$FTP_USER" | cut -d: -f6)" != / ]; then
    usermod --home / "$FTP_USER"
  fi
  echo "$FTP_USER:$FTP_PASSWORD" | chpasswd
  # SFTP users: no shell, one group that owns the shared upload folder. "*" (not "!") for the key user:
  # sshd without PAM refuses a key login to an account whose password is locked with "!"
  getent group "$SFTP_GROUP" >/dev/null || groupadd --system "$SFTP_GROUP"
  local u
  for u in "$SFTP_PW_USER" "$SFTP_KEY_USER"; do
    getent passwd "$u" >/dev/null ||
      useradd --system --gid "$SFTP_GROUP" --home-dir /files --no-create-home --shell /usr/sbin/nologin "$u"
  done
  echo "$SFTP_PW_USER:$SFTP_PW_PASSWORD" | chpasswd
  usermod -p '*' "$SFTP_KEY_USER"
  # own PAM service for vsftpd: pam_unix only (Debian's vsftpd service also wants a login shell);
  # nodelay: no 2 s pause after a wrong password (tests check wrong passwords)
  local pam=$'# written by scripts/test-servers.sh (vsftpd of the integration tests)\nauth\trequired\tpam_unix.so nodelay\naccount\trequired\tpam_unix.so\n'
  if [ "$(cat "/etc/pam.d/$PAM_SERVICE" 2>/dev/null)"$'\n' != "$pam" ]; then printf '%s' "$pam" >"/etc/pam.d/$PAM_SERVICE"; fi
}

# ---------------------------------------------------------------------------------------------------
# Processes: find exactly ours
# ---------------------------------------------------------------------------------------------------
alive() { [ -n "$1" ] && [ -e "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# One pass over /proc (bash builtins only, no fork per process): parent, command line and whether the
# process carries this folder's Postfix MAIL_CONFIG.
declare -A PARENT=() CMD=() PFX=()
scan_procs() {
  PARENT=(); CMD=(); PFX=()
  local d p st args env
  for d in /proc/[0-9]*; do
    p="${d#/proc/}"
    st=""; read -r st 2>/dev/null <"$d/stat" || true
    [ -n "$st" ] || continue
    st="${st##*) }"; st="${st#* }"; PARENT[$p]="${st%% *}"
    args=(); mapfile -d '' -t args 2>/dev/null <"$d/cmdline" || true
    CMD[$p]="${args[*]} "
    env=(); mapfile -d '' -t env 2>/dev/null <"$d/environ" || true
    case " ${env[*]} " in *" MAIL_CONFIG=$POSTFIX_CONF "*) PFX[$p]=1 ;; esac
  done
}
cmd_of() { if [ -n "${CMD[$1]+x}" ]; then echo "${CMD[$1]}"; else local a=(); mapfile -d '' -t a 2>/dev/null <"/proc/$1/cmdline" || true; echo "${a[*]} "; fi; }

# the given pids and all their descendants (from the last scan)
with_descendants() {
  local found=" $* " changed=1 p
  echo "$@" | tr ' ' '\n' | sed '/^$/d'
  while [ "$changed" = 1 ]; do
    changed=0
    for p in "${!PARENT[@]}"; do
      case "$found" in *" $p "*) continue ;; esac
      case "$found" in *" ${PARENT[$p]} "*) found+="$p "; echo "$p"; changed=1 ;; esac
    done
  done
}

pidfile_pid() { # file expected-command-substring
  local pid=""
  [ -f "$1" ] || return 0
  read -r pid 2>/dev/null <"$1" || true
  pid="${pid//[^0-9]/}"
  if [ -n "$pid" ] && alive "$pid" && [[ "$(cmd_of "$pid")" == *"$2"* ]]; then echo "$pid"; fi
  return 0
}

# Dovecot: master by pid file or by its exact command line; children by parentage, or (if orphaned) by
# their title (instance_name) together with a working folder inside $DIR
dovecot_master() {
  local p
  { pidfile_pid "$DOVECOT_RUN/master.pid" dovecot
    for p in "${!CMD[@]}"; do
      if [[ "${CMD[$p]}" == *"dovecot -c $DOVECOT_CONF " ]]; then echo "$p"; fi
    done; } | sort -u
}
dovecot_pids() {
  local p cwd
  # shellcheck disable=SC2046  # one pid per word
  { with_descendants $(dovecot_master)
    for p in "${!CMD[@]}"; do
      if [[ "${CMD[$p]}" == "dovecot-bo-dovecot/"* ]]; then
        cwd="$(readlink "/proc/$p/cwd" 2>/dev/null || true)"
        if [[ "$cwd" == "$DIR/"* ]]; then echo "$p"; fi
      fi
    done; } | sort -u
}
# Postfix: master by pid file; every Postfix process carries its config folder in MAIL_CONFIG
postfix_master() { pidfile_pid "$POSTFIX_QUEUE/pid/master.pid" master; }
postfix_pids() {
  local p
  # shellcheck disable=SC2046
  { with_descendants $(postfix_master)
    for p in "${!PFX[@]}"; do echo "$p"; done; } | sort -u
}
# vsftpd: listener and every session process run as "vsftpd <exact config path>"
vsftpd_pids() { # conf
  local p
  for p in "${!CMD[@]}"; do
    if [[ "${CMD[$p]}" == *"vsftpd $1 " ]]; then echo "$p"; fi
  done
}
# shellcheck disable=SC2046
ftp_pids() { with_descendants $( { vsftpd_pids "$VSFTPD_CONF"; vsftpd_pids "$VSFTPD_TLS_CONF"; } | sort -u) | sort -u; }
# sshd: the listener runs as "/usr/sbin/sshd -D -f <exact config path>"; each session is its descendant
sshd_listener() {
  local p
  for p in "${!CMD[@]}"; do
    if [[ "${CMD[$p]}" == *"/usr/sbin/sshd -D -f $SSHD_CONF "* ]]; then echo "$p"; fi
  done
}
# shellcheck disable=SC2046
sshd_pids() { with_descendants $(sshd_listener) | sort -u; }

# TERM the main pids (masters) and wait for them (up to 2 s), then TERM the rest of the group,
# KILL whatever still runs after $STOP_TIMEOUT s
terminate() { # name main-pids... -- other-pids...
  local name="$1"; shift
  local main=() all=() left=() p t=0 termed=0
  while [ $# -gt 0 ] && [ "$1" != -- ]; do main+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  all=("${main[@]}" "$@")
  [ "${#all[@]}" -gt 0 ] || return 0
  if [ "${#main[@]}" -gt 0 ]; then kill -TERM "${main[@]}" 2>/dev/null || true; else termed=1; kill -TERM "${all[@]}" 2>/dev/null || true; fi
  while :; do
    left=(); for p in "${all[@]}"; do alive "$p" && left+=("$p"); done
    [ "${#left[@]}" -eq 0 ] && return 0
    if [ "$termed" = 0 ]; then
      local main_left=0
      for p in "${main[@]}"; do alive "$p" && main_left=1; done
      if [ "$main_left" = 0 ] || [ "$t" -ge 40 ]; then kill -TERM "${left[@]}" 2>/dev/null || true; termed=1; fi
    fi
    [ "$t" -ge $(( STOP_TIMEOUT * 20 )) ] && break
    sleep 0.05; t=$(( t + 1 ))
  done
  log "$name: still running after ${STOP_TIMEOUT}s, sending KILL to ${left[*]}"
  kill -KILL "${left[@]}" 2>/dev/null || true
  for t in $(seq 1 40); do
    left=(); for p in "${all[@]}"; do alive "$p" && left+=("$p"); done
    [ "${#left[@]}" -eq 0 ] && return 0
    sleep 0.05
  done
  die "$name: could not stop ${left[*]}"
}

stop_dovecot() {
  local all
  scan_procs
  all="$(dovecot_pids | tr '\n' ' ')"
  # TERM to the master alone takes Dovecot about 1 s (its log/stats processes outlive it): TERM them all
  # shellcheck disable=SC2086
  terminate dovecot $all --
}
stop_postfix() {
  local m all
  scan_procs
  m="$(postfix_master)"
  all="$(postfix_pids | tr '\n' ' ')"
  # shellcheck disable=SC2086
  terminate postfix $m -- $all
}
stop_ftp() {
  local all
  scan_procs
  all="$(ftp_pids | tr '\n' ' ')"
  # sessions keep running without the listener: stop all of them at once
  # shellcheck disable=SC2086
  terminate vsftpd $all --
}

oauth_pids() {
  local p
  { pidfile_pid "$DIR/run/oauth.pid" oauth-server.mjs
    for p in "${!CMD[@]}"; do
      if [[ "${CMD[$p]}" == *"oauth-server.mjs $OAUTH_CONF " ]]; then echo "$p"; fi
    done; } | sort -u
}
stop_oauth() {
  local all
  scan_procs
  all="$(oauth_pids | tr '\n' ' ')"
  # shellcheck disable=SC2086
  terminate oauth-server $all --
}

stop_sshd() {
  local all
  scan_procs
  all="$(sshd_pids | tr '\n' ' ')"
  # a session outlives its listener: stop all of them at once
  # shellcheck disable=SC2086
  terminate sshd $all --
}

stop_all() {
  stop_oauth
  stop_sshd
  stop_ftp
  stop_postfix
  stop_dovecot
  rm -f "$DIR"/run/*.pid 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------------------------------
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }
# reads the first line the server sends; succeeds when it starts with $2
banner_ok() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    IFS= read -r -t 2 line <&3 || exit 1
    case "$line" in "$2"*) ;; *) exit 1 ;; esac
    case "$2" in "* OK") printf "a LOGOUT\r\n" >&3 ;; *) printf "QUIT\r\n" >&3 ;; esac
    exit 0' "$HOST" "$1" "$2" 2>/dev/null
}

show_logs() { # files...
  local f
  for f in "$@"; do
    if [ -s "$f" ]; then log "--- last lines of $f:"; tail -n 25 "$f" >&2 || true; fi
  done
}

wait_port() { # name port banner-or-empty logfile
  local name="$1" port="$2" banner="$3" logf="$4" end
  end=$(( $(date +%s) + START_TIMEOUT ))
  while :; do
    if [ -n "$banner" ]; then banner_ok "$port" "$banner" && return 0; else port_open "$port" && return 0; fi
    if [ "$(date +%s)" -ge "$end" ]; then
      log "$name does not answer on $HOST:$port after ${START_TIMEOUT}s"
      # shellcheck disable=SC2086
      show_logs $logf
      return 1
    fi
    sleep 0.1
  done
}

all_ports() { echo "$IMAP_PORT $IMAPS_PORT $SMTP_PORT $SUBMISSION_PORT $SMTPS_PORT $FTP_PORT $FTPS_PORT $OAUTH_PORT $SFTP_PORT"; }

# ---------------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------------
json_str() { local s="$1"; s="${s//\\/\\\\}"; s="${s//\"/\\\"}"; printf '"%s"' "$s"; }

make_dirs() {
  # parents must be traversable by the daemons' users
  local d="$DIR"
  while d="$(dirname "$d")" && [ "$d" != / ]; do
    [ -d "$d" ] && [ "$(stat -c %A "$d" | cut -c10)" != x ] && [ "$(stat -c %A "$d" | cut -c10)" != t ] && chmod o+x "$d"
  done
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  mkdir -p "$DIR"/{tls,log,run,oauth,dovecot/run,dovecot/state,mail,ftp/home,ftp/empty,postfix/etc,postfix/queue,postfix/data}
  chmod 755 "$DIR/ftp/empty" "$DIR/dovecot" "$DIR/postfix" "$DIR/postfix/queue"
  chown postfix:postfix "$DIR/postfix/data"
  chown "$FTP_USER:$FTP_USER" "$DIR/ftp/home"
  chown "$MAIL_USER:$MAIL_USER" "$DIR/mail"
  chmod 750 "$DIR/mail"
}

make_cert() {
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
    -addext "extendedKeyUsage=serverAuth" </dev/null >/dev/null 2>&1 || die "openssl could not create the certificate"
  chmod 600 "$DIR/tls/key.pem"
  chmod 644 "$DIR/tls/cert.pem"
}

write_dovecot_conf() {
  local uid gid u name pw
  uid="$(id -u "$MAIL_USER")"; gid="$(id -g "$MAIL_USER")"
  : >"$DIR/dovecot/users"
  for u in "${MAIL_USERS[@]}"; do
    name="${u%%:*}"; pw="${u#*:}"
    echo "$name@$DOMAIN:{PLAIN}$pw:$uid:$gid::$DIR/mail/$name::" >>"$DIR/dovecot/users"
    install -d -o "$MAIL_USER" -g "$MAIL_USER" -m 700 "$DIR/mail/$name"
  done
  cat >"$DIR/dovecot/oauth2.conf.ext" <<EOF
# generated by scripts/test-servers.sh: tokens of scripts/oauth-server.mjs (RFC 7662 introspection)
introspection_mode = post
introspection_url = http://$OAUTH_INTROSPECTION_CLIENT:$OAUTH_INTROSPECTION_SECRET@$HOST:$OAUTH_PORT/token/introspection
force_introspection = yes
username_attribute = sub
username_format = %Lu
active_attribute = active
active_value = true
scope = $OAUTH_SCOPE
issuers = http://$HOST:$OAUTH_PORT
timeout_msecs = 5000
EOF
  chown root:dovecot "$DIR/dovecot/users" "$DIR/dovecot/oauth2.conf.ext"
  chmod 640 "$DIR/dovecot/users" "$DIR/dovecot/oauth2.conf.ext"
  local dh=""
  [ -f /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
  cat >"$DOVECOT_CONF" <<EOF
# generated by scripts/test-servers.sh -- self-contained, nothing from /etc/dovecot
instance_name = bo-dovecot
base_dir = $DOVECOT_RUN
state_dir = $DIR/dovecot/state
log_path = $DIR/log/dovecot.log
protocols = imap lmtp
listen = $HOST
shutdown_clients = yes

ssl = yes
ssl_cert = <$DIR/tls/cert.pem
ssl_key = <$DIR/tls/key.pem
$dh
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
login_greeting = Backoffice test IMAP ready.

mail_location = maildir:~/Maildir:LAYOUT=fs
mail_uid = $uid
mail_gid = $gid
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
last_valid_gid = $gid

namespace inbox {
  inbox = yes
  separator = /
  prefix =
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Trash {
    special_use = \\Trash
  }
  mailbox Junk {
    special_use = \\Junk
  }
}

# Dovecot 2.3.19 batches failed logins in 500 ms steps even with auth_failure_delay = 0; a "nodelay"
# field answers at once, but only if a passdb that did not fail set it (failed passdbs' fields are dropped)
passdb {
  driver = static
  args = nodelay=yes noauthenticate
  result_success = continue
}
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u $DIR/dovecot/users
}
# XOAUTH2 / OAUTHBEARER: the bearer token is checked at the authorization server's introspection endpoint
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $DIR/dovecot/oauth2.conf.ext
}
userdb {
  driver = passwd-file
  args = username_format=%u $DIR/dovecot/users
}

protocol imap {
  mail_max_userip_connections = 100
}
protocol lmtp {
  postmaster_address = postmaster@$DOMAIN
}

service imap-login {
  inet_listener imap {
    address = $HOST
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = $HOST
    port = $IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp-postfix {
    mode = 0600
    user = postfix
    group = postfix
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
  unix_listener auth-userdb {
    mode = 0600
    user = root
  }
}
# no login delay after a wrong password (tests check wrong passwords on purpose)
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
}

write_postfix_conf() {
  local u
  # known mailboxes (Postfix rejects other addresses @backoffice.test)
  : >"$POSTFIX_DIR/vmailbox"
  for u in "${MAIL_USERS[@]}"; do echo "${u%%:*}@$DOMAIN OK" >>"$POSTFIX_DIR/vmailbox"; done
  # postmaster -> admin; every address outside backoffice.test -> sink (envelope only, headers stay)
  cat >"$POSTFIX_DIR/virtual_alias.regexp" <<EOF
/^postmaster@backoffice\\.test\$/ admin@$DOMAIN
!/@backoffice\\.test\$/ sink@$DOMAIN
EOF
  cat >"$POSTFIX_DIR/recipient_access" <<EOF
# edited by tests; apply with: scripts/test-servers.sh reload-postfix
defer@example.com 450 4.2.1 Mailbox busy, try again later
reject@example.com 550 5.1.1 No such user here
EOF
  chmod 644 "$POSTFIX_DIR"/vmailbox "$POSTFIX_DIR"/virtual_alias.regexp "$POSTFIX_DIR"/recipient_access

  local access="check_recipient_access texthash:$POSTFIX_DIR/recipient_access"
  cat >"$POSTFIX_CONF/main.cf" <<EOF
# generated by scripts/test-servers.sh
compatibility_level = 3.6
config_directory = $POSTFIX_CONF
queue_directory = $POSTFIX_QUEUE
data_directory = $POSTFIX_DIR/data
maillog_file = $DIR/log/postfix.log
maillog_file_prefixes = $DIR/log
mail_owner = postfix
setgid_group = postdrop

myhostname = mail.$DOMAIN
mydomain = $DOMAIN
myorigin = $DOMAIN
mydestination =
inet_interfaces = $HOST
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
biff = no
append_dot_mydomain = no
alias_maps =
alias_database =
local_recipient_maps =
message_size_limit = 52428800
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_client_connection_count_limit = 0

virtual_alias_domains =
virtual_alias_maps = regexp:$POSTFIX_DIR/virtual_alias.regexp
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$POSTFIX_DIR/vmailbox
virtual_transport = lmtp:unix:$DOVECOT_RUN/lmtp-postfix

smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination
smtpd_recipient_restrictions = $access, permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination

smtpd_tls_cert_file = $DIR/tls/cert.pem
smtpd_tls_key_file = $DIR/tls/key.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtp_tls_security_level = none

smtpd_sasl_type = dovecot
smtpd_sasl_path = $DOVECOT_RUN/auth-postfix
smtpd_sasl_auth_enable = no
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_sasl_authenticated_header = yes
EOF

  local sub="-o smtpd_sasl_auth_enable=yes -o smtpd_client_restrictions=permit_sasl_authenticated,reject -o smtpd_relay_restrictions=permit_sasl_authenticated,reject -o smtpd_recipient_restrictions=check_recipient_access,texthash:$POSTFIX_DIR/recipient_access,permit_sasl_authenticated,reject"
  cat >"$POSTFIX_CONF/master.cf" <<EOF
# generated by scripts/test-servers.sh -- no chroot anywhere
$HOST:$SMTP_PORT inet n - n - - smtpd
$HOST:$SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  $sub
$HOST:$SMTPS_PORT inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  $sub
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

write_vsftpd_conf() { # file port pasv-range implicit(YES|NO) log
  local file="$1" port="$2" pasv="$3" implicit="$4" logf="$5" force=NO
  [ "$implicit" = YES ] && force=YES
  cat >"$file" <<EOF
# generated by scripts/test-servers.sh
listen=YES
listen_ipv6=NO
listen_address=$HOST
listen_port=$port
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
pam_service_name=$PAM_SERVICE
userlist_enable=NO
tcp_wrappers=NO
chroot_local_user=YES
local_root=$DIR/ftp/home
allow_writeable_chroot=YES
secure_chroot_dir=$DIR/ftp/empty
seccomp_sandbox=NO
utf8_filesystem=YES
pasv_enable=YES
pasv_address=$HOST
pasv_min_port=${pasv%-*}
pasv_max_port=${pasv#*-}
port_enable=YES
connect_from_port_20=NO
max_per_ip=0
max_clients=200
delay_failed_login=0
delay_successful_login=0
idle_session_timeout=300
data_connection_timeout=120
xferlog_enable=YES
vsftpd_log_file=$logf
log_ftp_protocol=YES
syslog_enable=NO
ssl_enable=YES
implicit_ssl=$implicit
allow_anon_ssl=NO
force_local_logins_ssl=$force
force_local_data_ssl=$force
ssl_sslv2=NO
ssl_sslv3=NO
ssl_tlsv1=YES
ssl_request_cert=NO
ssl_ciphers=HIGH
require_ssl_reuse=YES
rsa_cert_file=$DIR/tls/cert.pem
rsa_private_key_file=$DIR/tls/key.pem
EOF
}

write_oauth_conf() {
  local u users="" sep=""
  for u in "${MAIL_USERS[@]}"; do users+="$sep$(json_str "${u%%:*}@$DOMAIN"): $(json_str "${u#*:}")"; sep=", "; done
  # "native" clients (RFC 8252 7.3): a loopback redirect URI matches on any port, so n8n instances of the
  # end-to-end tests on free ports can connect, not only the one on N8N_PORT
  local redirects="[$(json_str "http://127.0.0.1/callback"), $(json_str "http://localhost:$N8N_CALLBACK_PORT/rest/oauth2-credential/callback"), $(json_str "http://127.0.0.1:$N8N_CALLBACK_PORT/rest/oauth2-credential/callback")]"
  cat >"$OAUTH_CONF" <<EOF
{
  "host": "$HOST",
  "port": $OAUTH_PORT,
  "accessTokenTtl": ${BO_OAUTH_TOKEN_TTL:-60},
  "shortTtlClients": [$(json_str "$OAUTH_SHORT_CLIENT"), $(json_str "$OAUTH_SHORT_APP_CLIENT")],
  "appMailboxes": { $(json_str "$OAUTH_APP_CLIENT"): $(json_str "$OAUTH_APP_MAILBOX@$DOMAIN"), $(json_str "$OAUTH_SHORT_APP_CLIENT"): $(json_str "$OAUTH_APP_MAILBOX@$DOMAIN") },
  "users": { $users },
  "clients": [
    { "client_id": $(json_str "$OAUTH_CLIENT"), "client_secret": $(json_str "$OAUTH_CLIENT_SECRET"),
      "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"], "redirect_uris": $redirects,
      "application_type": "native" },
    { "client_id": $(json_str "$OAUTH_SHORT_CLIENT"), "client_secret": $(json_str "$OAUTH_CLIENT_SECRET"),
      "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"], "redirect_uris": $redirects,
      "application_type": "native" },
    { "client_id": $(json_str "$OAUTH_APP_CLIENT"), "client_secret": $(json_str "$OAUTH_CLIENT_SECRET"), "scope": "mail calendar",
      "grant_types": ["client_credentials"], "response_types": [], "redirect_uris": [] },
    { "client_id": $(json_str "$OAUTH_SHORT_APP_CLIENT"), "client_secret": $(json_str "$OAUTH_CLIENT_SECRET"), "scope": "mail calendar",
      "grant_types": ["client_credentials"], "response_types": [], "redirect_uris": [] },
    { "client_id": $(json_str "$OAUTH_INTROSPECTION_CLIENT"), "client_secret": $(json_str "$OAUTH_INTROSPECTION_SECRET"),
      "grant_types": ["client_credentials"], "response_types": [], "redirect_uris": [] }
  ]
}
EOF
  # readable by the unprivileged user the server runs as, by nobody else
  chown nobody "$OAUTH_CONF"
  chmod 600 "$OAUTH_CONF"
}

start_oauth() {
  local node
  node="$(bash "$ROOT/scripts/node24.sh")/node" || die "no Node.js 24 for the OAuth server"
  [ -f "$ROOT/node_modules/oidc-provider/package.json" ] || die "oidc-provider missing: run npm ci first"
  # unprivileged, in a session of its own -- unless the checkout lies where nobody cannot read it (a clone
  # under a 0700 folder such as /root or mktemp -d): then as the caller, and the log says so
  local drop=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  if ! "${drop[@]}" test -r "$ROOT/scripts/oauth-server.mjs" 2>/dev/null; then
    echo "oauth-server: $ROOT is not readable by nobody, running as $(id -un)" >>"$DIR/log/oauth.log"
    drop=()
  fi
  setsid "${drop[@]}" "$node" "$ROOT/scripts/oauth-server.mjs" "$OAUTH_CONF" </dev/null >>"$DIR/log/oauth.log" 2>&1 &
  echo $! >"$DIR/run/oauth.pid"
  wait_port oauth-server "$OAUTH_PORT" "" "$DIR/log/oauth.log" || die "oauth-server failed"
  scan_procs
  oauth_pids | head -n 1 >"$DIR/run/oauth.pid"
}

# SFTP: a host key of its own, client keys in both formats users bring (OpenSSH with passphrase, RSA PEM),
# the chroot (root-owned, see BO_SFTP_ROOT above) with the users' shared folder /files
make_sftp() {
  mkdir -p "$DIR/sftp/keys"
  chmod 700 "$DIR/sftp/keys"
  ssh-keygen -q -t ed25519 -N '' -C bo-test-sshd -f "$DIR/sftp/host_ed25519" </dev/null || die "ssh-keygen (host key) failed"
  ssh-keygen -q -t ed25519 -N "$SFTP_KEY_PASSPHRASE" -C bo-test-client -f "$DIR/sftp/keys/client_ed25519" </dev/null || die "ssh-keygen failed"
  ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C bo-test-client-pem -f "$DIR/sftp/keys/client_rsa.pem" </dev/null || die "ssh-keygen failed"
  cat "$DIR/sftp/keys/client_ed25519.pub" "$DIR/sftp/keys/client_rsa.pem.pub" >"$DIR/sftp/authorized_keys"
  chmod 644 "$DIR/sftp/authorized_keys"
  rm -rf "$SFTP_ROOT"
  install -d -o root -g root -m 755 "$(dirname "$SFTP_ROOT")" "$SFTP_ROOT"
  install -d -o root -g "$SFTP_GROUP" -m 2775 "$SFTP_ROOT/files"
  ln -sfn "$SFTP_ROOT" "$DIR/sftp/root"
  make_sftp_hold
}

# The users' SFTP server is sftp-server behind scripts/sftp-hold.c (a hold the fault tests arm, see there and
# docs/sftp.md): sshd runs "<login shell> -c <ForceCommand>" inside the chroot, and the chroot's
# /usr/sbin/nologin is the hold (static), which runs nothing but the chroot's copy of sftp-server (with its
# libraries). /.bo-hold is where the tests' control socket goes (test/helpers/sftpHold.ts).
make_sftp_hold() {
  gcc -static -O2 -pthread -o "$DIR/sftp/sftp-hold" "$ROOT/scripts/sftp-hold.c" >>"$DIR/log/sshd.start.log" 2>&1 ||
    { show_logs "$DIR/log/sshd.start.log"; die "gcc could not build scripts/sftp-hold.c"; }
  install -D -o root -g root -m 755 "$DIR/sftp/sftp-hold" "$SFTP_ROOT/usr/sbin/nologin"
  install -D -o root -g root -m 755 /usr/lib/openssh/sftp-server "$SFTP_ROOT/usr/lib/openssh/sftp-server"
  local lib
  for lib in $(ldd /usr/lib/openssh/sftp-server | grep -o '/[^ ]*'); do
    install -D -o root -g root -m 755 "$lib" "$SFTP_ROOT$lib"
  done
  # sftp-server opens /dev/null and looks its user up (sshd's internal-sftp had both from sshd)
  install -d -o root -g root -m 755 "$SFTP_ROOT/dev" "$SFTP_ROOT/etc" "$SFTP_ROOT/.bo-hold"
  mknod -m 666 "$SFTP_ROOT/dev/null" c 1 3 || die "mknod $SFTP_ROOT/dev/null failed (the SFTP chroot needs it)"
  getent passwd "$SFTP_PW_USER" "$SFTP_KEY_USER" >"$SFTP_ROOT/etc/passwd"
  getent group "$SFTP_GROUP" >"$SFTP_ROOT/etc/group"
  chmod 644 "$SFTP_ROOT/etc/passwd" "$SFTP_ROOT/etc/group"
}

write_sshd_conf() {
  cat >"$SSHD_CONF" <<EOF
# generated by scripts/test-servers.sh -- SFTP only, nothing from /etc/ssh
Port $SFTP_PORT
ListenAddress $HOST
HostKey $DIR/sftp/host_ed25519
PidFile $DIR/run/sshd.pid
AuthorizedKeysFile $DIR/sftp/authorized_keys
# the state folder lies under /tmp, which StrictModes would refuse for the key file
StrictModes no
UsePAM no
PermitRootLogin no
AllowUsers $SFTP_PW_USER $SFTP_KEY_USER
KbdInteractiveAuthentication no
PasswordAuthentication yes
PubkeyAuthentication yes
MaxAuthTries 10
MaxStartups 100:30:200
MaxSessions 50
UseDNS no
PrintMotd no
Subsystem sftp internal-sftp
Match User $SFTP_PW_USER,$SFTP_KEY_USER
  ChrootDirectory $SFTP_ROOT
  # run by the chroot's /usr/sbin/nologin, the hold (make_sftp_hold); in the chroot there is no syslog
  ForceCommand /usr/lib/openssh/sftp-server -d /files -u 0002
  AllowTcpForwarding no
  AllowAgentForwarding no
  X11Forwarding no
  PermitTTY no
Match User $SFTP_KEY_USER
  PasswordAuthentication no
Match User $SFTP_PW_USER
  PubkeyAuthentication no
EOF
  chmod 644 "$SSHD_CONF"
}

sftp_fingerprint() { ssh-keygen -l -E sha256 -f "$DIR/sftp/host_ed25519.pub" | awk '{print $2}'; }

pids_json() {
  local dv pf f1 f2 sd
  dv="$(pidfile_pid "$DOVECOT_RUN/master.pid" dovecot)"
  pf="$(pidfile_pid "$POSTFIX_QUEUE/pid/master.pid" master)"
  f1="$(pidfile_pid "$DIR/run/vsftpd.pid" vsftpd)"
  f2="$(pidfile_pid "$DIR/run/vsftpd-implicit.pid" vsftpd)"
  local oa; oa="$(pidfile_pid "$DIR/run/oauth.pid" oauth-server.mjs)"
  sd="$(pidfile_pid "$DIR/run/sshd.pid" sshd)"
  printf '{ "dovecot": %s, "postfix": %s, "vsftpd": %s, "vsftpdImplicit": %s, "oauth": %s, "sshd": %s }' \
    "${dv:-null}" "${pf:-null}" "${f1:-null}" "${f2:-null}" "${oa:-null}" "${sd:-null}"
}

write_env() {
  local u name pw users="" tmp
  for u in "${MAIL_USERS[@]}"; do
    name="${u%%:*}"; pw="${u#*:}"
    users+="    $(json_str "$name"): { \"user\": $(json_str "$name@$DOMAIN"), \"password\": $(json_str "$pw"), \"address\": $(json_str "$name@$DOMAIN") },"$'\n'
  done
  users+="    \"ftp\": { \"user\": $(json_str "$FTP_USER"), \"password\": $(json_str "$FTP_PASSWORD") }"
  tmp="$DIR/env.json.tmp"
  cat >"$tmp" <<EOF
{
  "dir": $(json_str "$DIR"),
  "host": "$HOST",
  "ca": $(json_str "$DIR/tls/cert.pem"),
  "imap": { "port": $IMAP_PORT, "tlsPort": $IMAPS_PORT },
  "smtp": { "port": $SMTP_PORT, "submissionPort": $SUBMISSION_PORT, "tlsPort": $SMTPS_PORT, "accessTable": $(json_str "$POSTFIX_DIR/recipient_access"), "log": $(json_str "$DIR/log/postfix.log") },
  "ftp": { "port": $FTP_PORT, "tlsPort": $FTPS_PORT, "home": $(json_str "$DIR/ftp/home") },
  "oauth": { "port": $OAUTH_PORT, "issuer": "http://$HOST:$OAUTH_PORT", "scope": $(json_str "$OAUTH_SCOPE"),
    "client": { "id": $(json_str "$OAUTH_CLIENT"), "secret": $(json_str "$OAUTH_CLIENT_SECRET") },
    "shortLivedClient": { "id": $(json_str "$OAUTH_SHORT_CLIENT"), "secret": $(json_str "$OAUTH_CLIENT_SECRET") },
    "appClient": { "id": $(json_str "$OAUTH_APP_CLIENT"), "secret": $(json_str "$OAUTH_CLIENT_SECRET"), "mailbox": $(json_str "$OAUTH_APP_MAILBOX") },
    "shortLivedAppClient": { "id": $(json_str "$OAUTH_SHORT_APP_CLIENT"), "secret": $(json_str "$OAUTH_CLIENT_SECRET") },
    "introspectionClient": { "id": $(json_str "$OAUTH_INTROSPECTION_CLIENT"), "secret": $(json_str "$OAUTH_INTROSPECTION_SECRET") },
    "redirectUri": "http://127.0.0.1/callback", "log": $(json_str "$DIR/log/oauth.log") },
  "sftp": {
    "port": $SFTP_PORT,
    "home": $(json_str "$SFTP_ROOT/files"),
    "loginDirectory": "/files",
    "hostKeyFingerprint": $(json_str "$(sftp_fingerprint)"),
    "hostPublicKey": $(json_str "$DIR/sftp/host_ed25519.pub"),
    "passwordUser": { "user": $(json_str "$SFTP_PW_USER"), "password": $(json_str "$SFTP_PW_PASSWORD") },
    "keyUser": {
      "user": $(json_str "$SFTP_KEY_USER"),
      "openSshKey": $(json_str "$DIR/sftp/keys/client_ed25519"),
      "passphrase": $(json_str "$SFTP_KEY_PASSPHRASE"),
      "pemKey": $(json_str "$DIR/sftp/keys/client_rsa.pem")
    },
    "log": $(json_str "$DIR/log/sshd.log"),
    "holdSocket": $(json_str "$SFTP_ROOT/.bo-hold/control.sock")
  },
  "users": {
$users
  },
  "dovecotConf": $(json_str "$DOVECOT_CONF"),
  "pids": $(pids_json)
}
EOF
  chmod 644 "$tmp"
  mv -f "$tmp" "$DIR/env.json"
  {
    echo "# generated by scripts/test-servers.sh"
    echo "export BACKOFFICE_SERVERS_DIR='$DIR'"
    echo "export BO_HOST=$HOST BO_CA='$DIR/tls/cert.pem'"
    echo "export BO_IMAP_PORT=$IMAP_PORT BO_IMAPS_PORT=$IMAPS_PORT"
    echo "export BO_SMTP_PORT=$SMTP_PORT BO_SUBMISSION_PORT=$SUBMISSION_PORT BO_SMTPS_PORT=$SMTPS_PORT"
    echo "export BO_FTP_PORT=$FTP_PORT BO_FTPS_PORT=$FTPS_PORT BO_FTP_USER=$FTP_USER BO_FTP_PASSWORD='$FTP_PASSWORD'"
    echo "export BO_SFTP_PORT=$SFTP_PORT BO_SFTP_USER=$SFTP_PW_USER BO_SFTP_PASSWORD='$SFTP_PW_PASSWORD' BO_SFTP_KEY_USER=$SFTP_KEY_USER"
    for u in "${MAIL_USERS[@]}"; do
      name="${u%%:*}"; pw="${u#*:}"
      echo "export BO_$(echo "$name" | tr '[:lower:]' '[:upper:]')_USER='$name@$DOMAIN' BO_$(echo "$name" | tr '[:lower:]' '[:upper:]')_PASSWORD='$pw'"
    done
  } >"$DIR/env.sh"
}

# ---------------------------------------------------------------------------------------------------
# Starting
# ---------------------------------------------------------------------------------------------------
start_dovecot() {
  # a master killed by the stop may not be reaped yet (a zombie until its parent, often PID 1, collects it):
  # Dovecot takes the pid file's process for a running master and refuses to start — the file is stale
  local old
  old="$(head -n1 "$DOVECOT_RUN/master.pid" 2>/dev/null || true)"
  if [ -n "$old" ] && ! alive "$old"; then rm -f "$DOVECOT_RUN/master.pid"; fi
  dovecot -c "$DOVECOT_CONF" </dev/null >>"$DIR/log/dovecot.start.log" 2>&1 ||
    { show_logs "$DIR/log/dovecot.start.log" "$DIR/log/dovecot.log"; die "dovecot did not start"; }
  wait_port dovecot "$IMAP_PORT" "* OK" "$DIR/log/dovecot.start.log $DIR/log/dovecot.log" || die "dovecot (IMAP) failed"
  wait_port dovecot "$IMAPS_PORT" "" "$DIR/log/dovecot.log" || die "dovecot (IMAPS) failed"
}

start_postfix() {
  postfix -c "$POSTFIX_CONF" start </dev/null >>"$DIR/log/postfix.start.log" 2>&1 ||
    { show_logs "$DIR/log/postfix.start.log" "$DIR/log/postfix.log"; die "postfix did not start (try: script -qc 'postfix -c $POSTFIX_CONF check' /dev/null)"; }
  wait_port postfix "$SMTP_PORT" "220" "$DIR/log/postfix.start.log $DIR/log/postfix.log" || die "postfix (smtp) failed"
  wait_port postfix "$SUBMISSION_PORT" "220" "$DIR/log/postfix.log" || die "postfix (submission) failed"
  wait_port postfix "$SMTPS_PORT" "" "$DIR/log/postfix.log" || die "postfix (smtps) failed"
}

start_vsftpd() { # name conf port pidfile logfile banner
  local name="$1" conf="$2" port="$3" pidf="$4" logf="$5" banner="$6" pid
  # vsftpd prints its startup errors ("500 OOPS: ...") to fd 0: give it a file there, not the caller's stdin
  setsid vsftpd "$conf" 0<>"$DIR/log/$name.oops.log" >>"$DIR/log/$name.stderr.log" 2>&1 &
  pid=$!
  echo "$pid" >"$pidf"
  if ! wait_port "$name" "$port" "$banner" "$DIR/log/$name.oops.log $DIR/log/$name.stderr.log $logf"; then die "$name failed"; fi
  # setsid may have forked: record the real listener
  if ! alive "$pid" || [[ "$(cmd_of "$pid")" != *"vsftpd $conf "* ]]; then
    scan_procs
    vsftpd_pids "$conf" | sort -n | head -n 1 >"$pidf"
  fi
}

start_sshd() {
  # sshd insists on its privilege separation directory (compiled in as /run/sshd)
  [ -d /run/sshd ] || install -d -m 755 /run/sshd
  /usr/sbin/sshd -t -f "$SSHD_CONF" </dev/null >>"$DIR/log/sshd.start.log" 2>&1 ||
    { show_logs "$DIR/log/sshd.start.log"; die "sshd refuses its configuration"; }
  # -D: foreground (setsid detaches it from the caller); -E: its log; absolute path: sshd re-executes itself
  setsid /usr/sbin/sshd -D -f "$SSHD_CONF" -E "$DIR/log/sshd.log" </dev/null >>"$DIR/log/sshd.start.log" 2>&1 &
  wait_port sshd "$SFTP_PORT" "SSH-2.0-" "$DIR/log/sshd.start.log $DIR/log/sshd.log" || die "sshd failed"
}

cmd_start() {
  local t0; t0="$(ms)"
  [ "$(id -u)" = 0 ] || die "must run as root (installs packages, starts daemons as root)"
  install_packages
  stop_all
  local p
  for p in $(all_ports); do port_open "$p" && die "port $HOST:$p is already in use by another program"; done
  rm -rf "$DIR"
  # a failed start leaves nothing running (the logs stay in $DIR/log)
  trap 'rc=$?; if [ "$rc" != 0 ]; then log "start failed, stopping what was started"; stop_all || true; fi' EXIT
  make_dirs
  make_cert
  write_dovecot_conf
  write_postfix_conf
  write_vsftpd_conf "$VSFTPD_CONF" "$FTP_PORT" "$FTP_PASV" NO "$DIR/log/vsftpd.log"
  write_vsftpd_conf "$VSFTPD_TLS_CONF" "$FTPS_PORT" "$FTPS_PASV" YES "$DIR/log/vsftpd-implicit.log"
  write_oauth_conf
  start_oauth
  make_sftp
  write_sshd_conf
  start_dovecot
  start_postfix
  start_vsftpd vsftpd "$VSFTPD_CONF" "$FTP_PORT" "$DIR/run/vsftpd.pid" "$DIR/log/vsftpd.log" "220"
  start_vsftpd vsftpd-implicit "$VSFTPD_TLS_CONF" "$FTPS_PORT" "$DIR/run/vsftpd-implicit.pid" "$DIR/log/vsftpd-implicit.log" ""
  start_sshd
  write_env
  trap - EXIT
  printf 'test-servers: up in %.1fs -- IMAP %s/%s, SMTP %s/%s/%s, FTP %s/%s, OAuth %s, SFTP %s on %s; env: %s\n' \
    "$(awk "BEGIN{print ($(ms) - $t0) / 1000}")" \
    "$IMAP_PORT" "$IMAPS_PORT" "$SMTP_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT" "$FTP_PORT" "$FTPS_PORT" "$OAUTH_PORT" "$SFTP_PORT" "$HOST" "$DIR/env.json"
}

cmd_stop() {
  stop_all
  scan_procs
  local left; left="$( { dovecot_pids; postfix_pids; ftp_pids; oauth_pids; sshd_pids; } | sort -u | tr '\n' ' ')"
  [ -z "${left// /}" ] || die "processes still running: $left"
  # the chroot lies outside the state folder: it goes with the servers (only if it is the one this folder made)
  if [ -L "$DIR/sftp/root" ] && [ "$(readlink "$DIR/sftp/root")" = "$SFTP_ROOT" ]; then rm -rf "$SFTP_ROOT"; fi
  log "stopped (nothing of $DIR runs)"
}

cmd_restart_dovecot() {
  [ -f "$DOVECOT_CONF" ] || die "no configuration in $DIR: run start first"
  stop_dovecot
  start_dovecot
  [ -f "$DIR/env.json" ] && write_env
  log "dovecot restarted"
}

cmd_restart_sshd() {
  [ -f "$SSHD_CONF" ] || die "no configuration in $DIR: run start first"
  stop_sshd
  start_sshd
  [ -f "$DIR/env.json" ] && write_env
  log "sshd restarted"
}

cmd_restart_postfix() {
  [ -f "$POSTFIX_CONF/main.cf" ] || die "no configuration in $DIR: run start first"
  stop_postfix
  start_postfix
  log "postfix restarted"
}

cmd_restart_vsftpd() {
  [ -f "$VSFTPD_CONF" ] || die "no configuration in $DIR: run start first"
  stop_ftp
  start_vsftpd vsftpd "$VSFTPD_CONF" "$FTP_PORT" "$DIR/run/vsftpd.pid" "$DIR/log/vsftpd.log" "220"
  start_vsftpd vsftpd-implicit "$VSFTPD_TLS_CONF" "$FTPS_PORT" "$DIR/run/vsftpd-implicit.pid" "$DIR/log/vsftpd-implicit.log" ""
  log "vsftpd restarted"
}

# the listeners are the processes named in the pid files; every other vsftpd process of this folder is a session
cmd_kill_ftp_sessions() {
  local keep p n=0
  scan_procs
  keep=" $(pidfile_pid "$DIR/run/vsftpd.pid" vsftpd) $(pidfile_pid "$DIR/run/vsftpd-implicit.pid" vsftpd) "
  for p in $(ftp_pids); do
    case "$keep" in *" $p "*) continue ;; esac
    kill -KILL "$p" 2>/dev/null && n=$(( n + 1 ))
  done
  log "killed $n vsftpd session process(es)"
}

cmd_reload_postfix() {
  [ -f "$POSTFIX_CONF/main.cf" ] || die "no configuration in $DIR: run start first"
  postfix -c "$POSTFIX_CONF" reload </dev/null >>"$DIR/log/postfix.start.log" 2>&1 ||
    { show_logs "$DIR/log/postfix.start.log" "$DIR/log/postfix.log"; die "postfix reload failed"; }
  log "postfix reloaded"
}

cmd_status() {
  local ok=0 name pids port
  scan_procs
  for name in dovecot postfix ftp oauth sshd; do
    pids="$("${name}_pids" | sort -un | tr '\n' ' ')"
    printf '%-8s %s\n' "$name" "${pids:-not running}"
  done
  for port in $(all_ports); do
    if port_open "$port"; then printf 'port %-5s answers\n' "$port"; else printf 'port %-5s DOWN\n' "$port"; ok=1; fi
  done
  [ -z "$(dovecot_master)" ] && ok=1
  [ -z "$(pidfile_pid "$POSTFIX_QUEUE/pid/master.pid" master)" ] && ok=1
  [ -z "$(sshd_listener)" ] && ok=1
  [ -f "$DIR/env.json" ] && echo "env: $DIR/env.json"
  return "$ok"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart-dovecot) cmd_restart_dovecot ;;
  reload-postfix) cmd_reload_postfix ;;
  restart-sshd) cmd_restart_sshd ;;
  restart-postfix) cmd_restart_postfix ;;
  restart-vsftpd) cmd_restart_vsftpd ;;
  kill-ftp-sessions) cmd_kill_ftp_sessions ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status|restart-dovecot|restart-sshd|restart-postfix|restart-vsftpd|kill-ftp-sessions|reload-postfix" >&2; exit 2 ;;
esac
