#!/usr/bin/env bash
# Smoke test for scripts/test-servers.sh: starts the servers, exercises every port with curl and bash,
# restarts Dovecot, reloads Postfix, stops everything and checks that nothing is left running.
#   scripts/check-test-servers.sh          # ends with "N passed, N failed"; exit 1 on any failure
#   KEEP=1 scripts/check-test-servers.sh   # leave the servers running at the end
# It honours BACKOFFICE_SERVERS_DIR and the BO_*_PORT variables of test-servers.sh: while tests use the
# default instance, check another one, e.g.
#   BACKOFFICE_SERVERS_DIR=/tmp/bo-chk BO_IMAP_PORT=12143 BO_IMAPS_PORT=12993 BO_SMTP_PORT=12025 \
#   BO_SUBMISSION_PORT=12587 BO_SMTPS_PORT=12465 BO_FTP_PORT=12021 BO_FTPS_PORT=12990 \
#   BO_FTP_PASV=12100-12199 BO_FTPS_PASV=12200-12299 scripts/check-test-servers.sh
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
TS=scripts/test-servers.sh
DIR="${BACKOFFICE_SERVERS_DIR:-/tmp/bo-srv}"
pass=0 fail=0
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
ko() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { local name="$1"; shift; if "$@" >$TMP/out 2>&1; then ok "$name"; else ko "$name"; sed 's/^/     | /' $TMP/out | tail -n 15; fi; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
our_procs() { # processes of this state folder (dovecot master/children, postfix, vsftpd)
  local p
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qE "$DIR/(dovecot|ftp)/"; then echo "$p"; continue; fi
    if grep -qz "MAIL_CONFIG=$DIR/postfix" "/proc/$p/environ" 2>/dev/null; then echo "$p"; continue; fi
    # Dovecot children carry the instance name in their title; another folder's instance may run too
    if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qE '^dovecot-bo-dovecot/' &&
      [[ "$(readlink "/proc/$p/cwd" 2>/dev/null)" == "$DIR/"* ]]; then echo "$p"; fi
  done
}

t0=$(ms)
check "start" $TS start
echo "     start took $(( $(ms) - t0 )) ms"
[ -f "$DIR/env.json" ] || { echo "no env.json"; exit 1; }
j() { node -e 'const e=require(process.argv[1]);console.log(process.argv[2].split(".").reduce((o,k)=>o[k],e))' "$DIR/env.json" "$1" 2>/dev/null ||
      python3 -c 'import json,sys;e=json.load(open(sys.argv[1]));[e:=e[k] for k in sys.argv[2].split(".")];print(e)' "$DIR/env.json" "$1"; }
H=$(j host); CA=$(j ca)
IMAP=$(j imap.port); IMAPS=$(j imap.tlsPort)
SMTP=$(j smtp.port); SUB=$(j smtp.submissionPort); SMTPS=$(j smtp.tlsPort)
FTP=$(j ftp.port); FTPS=$(j ftp.tlsPort)
A="$(j users.alice.user):$(j users.alice.password)"
B="$(j users.bob.user):$(j users.bob.password)"
S="$(j users.sink.user):$(j users.sink.password)"
F="$(j users.ftp.user):$(j users.ftp.password)"

# --- IMAP ---------------------------------------------------------------------------------------
check "IMAP STARTTLS login on $IMAP" curl -sS --ssl-reqd --cacert "$CA" "imap://$H:$IMAP/" -u "$A"
check "IMAPS login on $IMAPS" curl -sS --cacert "$CA" "imaps://$H:$IMAPS/" -u "$A"
check "IMAP plain login (no TLS) on $IMAP" curl -sS "imap://$H:$IMAP/" -u "$A"
wrong_fast() {
  local i s d
  for i in 1 2 3 4 5; do
    s=$(ms)
    if curl -sS --cacert "$CA" "imaps://$H:$IMAPS/" -u "${A%%:*}:wrong-$i" -o /dev/null 2>/dev/null; then echo "login with a wrong password succeeded"; return 1; fi
    d=$(( $(ms) - s )); echo "wrong password $i: ${d} ms"
    [ "$d" -lt 400 ] || return 1
  done
}
check "wrong IMAP password fails fast, 5 times in a row" wrong_fast
check "create INBOX/Lieferscheine" curl -sS --cacert "$CA" "imaps://$H:$IMAPS/" -u "$A" -X 'CREATE "INBOX/Lieferscheine"'
check "create INBOX/Lieferscheine/Eingang" curl -sS --cacert "$CA" "imaps://$H:$IMAPS/" -u "$A" -X 'CREATE "INBOX/Lieferscheine/Eingang"'
check "LIST shows INBOX/Lieferscheine/Eingang" bash -c "curl -sS --cacert '$CA' 'imaps://$H:$IMAPS/' -u '$A' -X 'LIST \"\" \"*\"' | grep -F '\"/\" INBOX/Lieferscheine/Eingang'"

# --- SMTP -> LMTP -> IMAP -----------------------------------------------------------------------
mail_file() { # to subject
  printf 'From: Lieferant <x@example.org>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\nDate: %s\r\n\r\nHallo\r\n' \
    "$1" "$2" "$2" "$(date -R)" >$TMP/mail.eml
}
seen_in() { # userpass subject timeout-ms
  local end=$(( $(ms) + $3 ))
  while [ "$(ms)" -lt "$end" ]; do
    curl -sS --cacert "$CA" "imaps://$H:$IMAPS/INBOX" -u "$1" -X "SEARCH HEADER Subject \"$2\"" 2>/dev/null | grep -qE '^\* SEARCH [0-9]' && return 0
    sleep 0.05
  done
  return 1
}
subj="check-$$-$RANDOM"
mail_file "alice@backoffice.test" "$subj-a"
check "SMTP $SMTP accepts mail for alice without auth" curl -sS "smtp://$H:$SMTP" --mail-from x@example.org --mail-rcpt alice@backoffice.test -T $TMP/mail.eml
t=$(ms); check "mail is in alice's INBOX within 1 s" seen_in "$A" "$subj-a" 1000; echo "     visible after $(( $(ms) - t )) ms"
mail_file "kunde@example.com" "$subj-k"
check "SMTP $SMTP accepts mail for kunde@example.com" curl -sS "smtp://$H:$SMTP" --mail-from alice@backoffice.test --mail-rcpt kunde@example.com -T $TMP/mail.eml
check "kunde@example.com lands in sink" seen_in "$S" "$subj-k" 2000
check "unknown local user is rejected" bash -c "! curl -sS 'smtp://$H:$SMTP' --mail-from x@example.org --mail-rcpt nobody@backoffice.test -T $TMP/mail.eml"
check "MOVE to INBOX/Lieferscheine/Eingang" bash -c "curl -sS --cacert '$CA' 'imaps://$H:$IMAPS/INBOX' -u '$A' -X 'MOVE 1 \"INBOX/Lieferscheine/Eingang\"' && curl -sS --cacert '$CA' 'imaps://$H:$IMAPS/INBOX/Lieferscheine/Eingang' -u '$A' -X 'SEARCH ALL' | grep -E '^\\* SEARCH 1'"

mail_file "bob@backoffice.test" "$subj-sub"
check "submission $SUB refuses mail without AUTH" bash -c "! curl -sS --ssl-reqd --cacert '$CA' 'smtp://$H:$SUB' --mail-from alice@backoffice.test --mail-rcpt bob@backoffice.test -T $TMP/mail.eml"
check "submission $SUB refuses AUTH without TLS" bash -c "! curl -sS 'smtp://$H:$SUB' -u '$A' --mail-from alice@backoffice.test --mail-rcpt bob@backoffice.test -T $TMP/mail.eml"
check "submission $SUB refuses a wrong password" bash -c "! curl -sS --ssl-reqd --cacert '$CA' 'smtp://$H:$SUB' -u 'alice@backoffice.test:wrong' --mail-from alice@backoffice.test --mail-rcpt bob@backoffice.test -T $TMP/mail.eml"
check "submission $SUB with STARTTLS + AUTH delivers" curl -sS --ssl-reqd --cacert "$CA" "smtp://$H:$SUB" -u "$A" --mail-from alice@backoffice.test --mail-rcpt bob@backoffice.test -T $TMP/mail.eml
check "mail from submission is in bob's INBOX" seen_in "$B" "$subj-sub" 2000
mail_file "bob@backoffice.test" "$subj-smtps"
check "implicit TLS $SMTPS + AUTH delivers" curl -sS --cacert "$CA" "smtps://$H:$SMTPS" -u "$A" --mail-from alice@backoffice.test --mail-rcpt bob@backoffice.test -T $TMP/mail.eml
check "mail from $SMTPS is in bob's INBOX" seen_in "$B" "$subj-smtps" 2000
check "$SUB: defer@example.com gets 450" bash -c "curl -v --ssl-reqd --cacert '$CA' 'smtp://$H:$SUB' -u '$A' --mail-from alice@backoffice.test --mail-rcpt defer@example.com -T $TMP/mail.eml 2>&1 | grep -E '^< 450 4.2.1'"
check "$SUB: reject@example.com gets 550" bash -c "curl -v --ssl-reqd --cacert '$CA' 'smtp://$H:$SUB' -u '$A' --mail-from alice@backoffice.test --mail-rcpt reject@example.com -T $TMP/mail.eml 2>&1 | grep -E '^< 550 5.1.1'"
check "$SMTPS: reject@example.com gets 550" bash -c "curl -v --cacert '$CA' 'smtps://$H:$SMTPS' -u '$A' --mail-from alice@backoffice.test --mail-rcpt reject@example.com -T $TMP/mail.eml 2>&1 | grep -E '^< 550 5.1.1'"
access="$(j smtp.accessTable)"
echo "blocked@example.com 554 5.7.1 Blocked by test" >>"$access"
check "reload-postfix" $TS reload-postfix
check "$SUB: access table edit applies after reload" bash -c "sleep 0.3; curl -v --ssl-reqd --cacert '$CA' 'smtp://$H:$SUB' -u '$A' --mail-from alice@backoffice.test --mail-rcpt blocked@example.com -T $TMP/mail.eml 2>&1 | grep -E '^< 554 5.7.1'"
check "postfix log exists" test -s "$(j smtp.log)"

# --- FTP ----------------------------------------------------------------------------------------
echo "Lieferschein 4711" >$TMP/file.txt
check "FTP $FTP list" curl -sS "ftp://$H:$FTP/" -u "$F"
check "FTP upload" curl -sS "ftp://$H:$FTP/in/ls-4711.txt" --ftp-create-dirs -u "$F" -T $TMP/file.txt
check "uploaded file is in the FTP home" test -f "$(j ftp.home)/in/ls-4711.txt"
check "FTP rename" curl -sS "ftp://$H:$FTP/" -u "$F" -Q "RNFR in/ls-4711.txt" -Q "RNTO in/ls-4711-done.txt"
check "FTP download" bash -c "curl -sS 'ftp://$H:$FTP/in/ls-4711-done.txt' -u '$F' | grep -q 4711"
check "FTP delete + rmdir" curl -sS "ftp://$H:$FTP/" -u "$F" -Q "DELE in/ls-4711-done.txt" -Q "RMD in"
check "FTP home empty again" bash -c "[ -z \"\$(ls -A '$(j ftp.home)')\" ]"
ftp_wrong_fast() {
  local s d
  s=$(ms)
  if curl -sS "ftp://$H:$FTP/" -u "${F%%:*}:wrong" -o /dev/null 2>/dev/null; then echo "login with a wrong password succeeded"; return 1; fi
  d=$(( $(ms) - s )); echo "wrong FTP password: ${d} ms"; [ "$d" -lt 500 ]
}
check "FTP wrong password refused fast" ftp_wrong_fast
check "explicit FTPS on $FTP (list + upload)" bash -c "curl -sS --ssl-reqd --cacert '$CA' 'ftp://$H:$FTP/tls.txt' -u '$F' -T $TMP/file.txt && curl -sS --ssl-reqd --cacert '$CA' 'ftp://$H:$FTP/' -u '$F' | grep -q tls.txt"
check "implicit FTPS on $FTPS (list + download + delete)" bash -c "curl -sS --cacert '$CA' 'ftps://$H:$FTPS/' -u '$F' | grep -q tls.txt && curl -sS --cacert '$CA' 'ftps://$H:$FTPS/tls.txt' -u '$F' | grep -q 4711 && curl -sS --cacert '$CA' 'ftps://$H:$FTPS/' -u '$F' -Q 'DELE tls.txt'"
check "implicit FTPS refuses plain FTP" bash -c "! curl -sS -m 3 'ftp://$H:$FTPS/' -u '$F'"

# --- restart-dovecot with an open IMAP connection -------------------------------------------------
(exec 3<>"/dev/tcp/$H/$IMAP"; printf 'a LOGIN %s %s\r\nb SELECT INBOX\r\nc IDLE\r\n' "${A%%:*}" "${A#*:}" >&3; sleep 30) >/dev/null 2>&1 &
idle_pid=$!
sleep 0.5
t=$(ms); check "restart-dovecot" $TS restart-dovecot; echo "     restart-dovecot took $(( $(ms) - t )) ms"
check "IMAP answers right after restart-dovecot" curl -sS --cacert "$CA" "imaps://$H:$IMAPS/" -u "$A"
check "mail kept over restart" seen_in "$B" "$subj-sub" 500
kill "$idle_pid" 2>/dev/null; wait "$idle_pid" 2>/dev/null
check "status exits 0" $TS status

# --- stop with open FTP and IMAP sessions -------------------------------------------------------
(exec 3<>"/dev/tcp/$H/$FTP"; printf 'USER bo-ftp\r\nPASS %s\r\n' "${F#*:}" >&3; sleep 30) >/dev/null 2>&1 &
ftp_hold=$!
(exec 3<>"/dev/tcp/$H/$IMAP"; printf 'a LOGIN %s %s\r\nc IDLE\r\n' "${A%%:*}" "${A#*:}" >&3; sleep 30) >/dev/null 2>&1 &
imap_hold=$!
sleep 0.5
echo "     processes before stop: $(our_procs | wc -l)"
t=$(ms); check "stop" $TS stop; echo "     stop took $(( $(ms) - t )) ms"
kill "$ftp_hold" "$imap_hold" 2>/dev/null; wait "$ftp_hold" "$imap_hold" 2>/dev/null
check "no process of $DIR left after stop" bash -c "left=\"\$(for p in $(our_procs | tr '\n' ' '); do ps -o pid=,user=,args= -p \$p; done)\"; [ -z \"\$left\" ] || { echo \"\$left\"; false; }"
leftover="$(our_procs)"
[ -z "$leftover" ] && ok "our_procs finds nothing" || { ko "our_procs finds nothing"; ps -o pid,user,args -p "$(echo $leftover | tr ' ' ,)"; }
check "no port answers after stop" bash -c "for p in $IMAP $IMAPS $SMTP $SUB $SMTPS $FTP $FTPS; do ! timeout 1 bash -c \"exec 3<>/dev/tcp/$H/\$p\" 2>/dev/null || { echo \"port \$p answers\"; exit 1; }; done"
check "status exits non-zero when stopped" bash -c "! $TS status"
check "stop again exits 0" $TS stop

t0=$(ms); check "start again" $TS start; echo "     start took $(( $(ms) - t0 )) ms"
t0=$(ms); check "start twice in a row" $TS start; echo "     start took $(( $(ms) - t0 )) ms"
check "status exits 0" $TS status
check "IMAP works after the restarts" curl -sS --cacert "$CA" "imaps://$H:$IMAPS/" -u "$A"
check "start from a pipe returns (no daemon keeps the pipe open)" bash -c "timeout 60 $TS start 2>&1 | cat >/dev/null"
if [ -z "${KEEP:-}" ]; then check "final stop" $TS stop; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
