#!/usr/bin/env bash
# Install the pinned GOV.UK Frontend (npm ci from package-lock.json) and copy its built files
# into static/govuk, which the portal serves. Does nothing when they are already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
want="6.3.0"
have=$(cat static/govuk/VERSION.txt 2>/dev/null || true)
if [ "$have" = "$want" ] && [ -f static/govuk/govuk-frontend.min.css ]; then
  exit 0
fi
if [ ! -f node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
src=node_modules/govuk-frontend/dist/govuk
rm -rf static/govuk
mkdir -p static/govuk
cp "$src/govuk-frontend.min.css" "$src/govuk-frontend.min.js" static/govuk/
cp -r "$src/assets" static/govuk/assets
echo "$want" > static/govuk/VERSION.txt
