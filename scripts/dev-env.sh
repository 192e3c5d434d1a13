#!/usr/bin/env bash
# Write the git-ignored .env for a development checkout, once. Never used in production:
# production settings come from the real environment and refuse these values.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && exit 0
key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
umask 077
cat > .env <<ENV
# Development settings written by make run on $(date -u +%Y-%m-%d). Not for production.
PORTAL_ENV=development
PORTAL_SECRET_KEY=$key
PORTAL_DEMO_DATA=1
# The development server is plain http on 127.0.0.1: no Secure cookie, no HSTS.
PORTAL_INSECURE_COOKIES=1
PORTAL_NO_HSTS=1
PORTAL_CHECKPOINT_KEY=$(pwd)/instance/checkpoint.key
PORTAL_CHECKPOINT_DIR=$(pwd)/instance/checkpoints
ENV
echo "wrote .env (development settings)"
