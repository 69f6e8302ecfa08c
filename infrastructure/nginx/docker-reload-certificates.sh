#!/bin/sh
# Run by the nginx image's entrypoint (mounted into /docker-entrypoint.d/ by docker-compose.yml).
# The certbot service renews certificates in a shared volume but cannot signal this container, so
# nginx reloads itself twice a day; a reload keeps open connections and is a no-op otherwise.
set -eu
(
  while sleep 43200; do
    nginx -s reload
  done
) </dev/null &
