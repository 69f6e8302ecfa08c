#!/usr/bin/env bash
# Renders an nginx template of this folder: replaces its ${TG_*} placeholders from the environment
# and leaves nginx's own $variables alone (envsubst is given the placeholder list explicitly).
#
#   TG_SERVER_NAME=webhooks.example.com TG_API_UPSTREAM=127.0.0.1:8080 \
#   TG_TLS_DIR=/etc/letsencrypt/live/webhooks.example.com TG_ACME_ROOT=/var/www/certbot \
#   TG_ACCESS_LOG=/var/log/nginx/tg-commerce.access.log \
#     infrastructure/nginx/render.sh infrastructure/nginx/tg-commerce.conf.template > tg-commerce.conf
#
# Refuses to render when a placeholder has no value, or a value could change the config's
# structure (spaces, quotes, semicolons, braces), so a typo cannot produce a half-working site.
set -euo pipefail

if [[ $# -ne 1 || ! -f $1 ]]; then
  echo "usage: $0 <template>   (writes the rendered config to stdout)" >&2
  exit 2
fi
template=$1

if ! command -v envsubst >/dev/null 2>&1; then
  echo "render.sh: envsubst not found; install it with: apt-get install gettext-base" >&2
  exit 1
fi

mapfile -t names < <(grep -o '\${TG_[A-Z0-9_]*}' "$template" | sort -u | sed 's/^\${//; s/}$//')
problems=()
for name in "${names[@]}"; do
  value=${!name:-}
  if [[ -z $value ]]; then
    problems+=("$name is not set")
  elif [[ ! $value =~ ^[A-Za-z0-9._:/*-]+$ ]]; then
    problems+=("$name=\"$value\" has characters a host name, host:port or path never needs")
  fi
done
if [[ ${#problems[@]} -gt 0 ]]; then
  printf 'render.sh: cannot render %s:\n' "$template" >&2
  printf '  - %s\n' "${problems[@]}" >&2
  exit 1
fi

shell_format=$(printf '${%s} ' "${names[@]}")
envsubst "$shell_format" < "$template"
