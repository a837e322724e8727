#!/usr/bin/env bash
# Debian packages the tests use to check documents the way other software reads them: pdftotext /
# pdfdetach / pdffonts (poppler-utils), xmllint (libxml2-utils), qpdf, and Saxon-HE on a Java runtime for
# the EN 16931 / XRechnung schematron rules; PostgreSQL 15 and Redis 7 for n8n's queue mode
# (scripts/queue-servers.sh runs them with their own data folders and ports). Installs only what is
# missing (root needed then). The mail and FTP servers are installed by scripts/test-servers.sh.
set -euo pipefail
want=(poppler-utils libxml2-utils qpdf libsaxonhe-java postgresql-15 redis-server)
command -v java >/dev/null 2>&1 || want+=(default-jre-headless)
[ -n "${CHROMIUM:-}" ] || want+=(chromium)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-packages: please install: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "system-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# The packages' own services (PostgreSQL's default cluster on 5432, redis-server on 6379) are not used and
# not started while installing (a policy-rc.d that refuses, only if the system has none).
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  policy=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
