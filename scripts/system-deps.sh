#!/usr/bin/env bash
# Install the system packages the tests need when they are missing (root only):
# PostgreSQL (throwaway clusters), Debian's Chromium (browser tests), gpg, Node/npm (assets).
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql postgresql-contrib)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
