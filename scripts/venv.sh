#!/usr/bin/env bash
# Create .venv and install the pinned requirements; reinstall only when a requirements file changes.
#   scripts/venv.sh          runtime dependencies (make run)
#   scripts/venv.sh dev      runtime + test and lint dependencies (make test)
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-runtime}
req=requirements.txt; [ "$kind" = dev ] && req=requirements-dev.txt
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
fi
stamp=.venv/.installed-$kind
sum=$(cat requirements.txt "$req" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip check >/dev/null
  echo "$sum" > "$stamp"
fi
