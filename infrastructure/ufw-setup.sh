#!/usr/bin/env bash
# Firewall for a tg-commerce host (UFW): SSH, HTTP (ACME challenges + redirect) and HTTPS in;
# the internal ports denied explicitly, so they stay closed even if the default policy is changed.
#
#   sudo infrastructure/ufw-setup.sh             apply (safe to run again: UFW skips existing rules)
#   infrastructure/ufw-setup.sh --dry-run        print the ufw commands, change nothing (no root needed)
#   SSH_PORT=2222 sudo infrastructure/ufw-setup.sh   when sshd listens elsewhere
#
# The SSH rule is added before UFW is enabled, so an SSH session running this is not cut off.
# Docker note: ports that Docker publishes bypass UFW (Docker writes its own iptables rules), which
# is why docker-compose.yml publishes internal ports on 127.0.0.1 only.
set -euo pipefail

SSH_PORT=${SSH_PORT:-22}

# Internal services that must never be reachable from outside (they listen on 127.0.0.1 anyway).
INTERNAL_PORTS=(
  "8080:api (Fastify; only nginx talks to it)"
  "7233:Temporal frontend (gRPC)"
  "8233:Temporal Web UI (use an SSH tunnel)"
  "5432:PostgreSQL"
  "7070:object storage (S3 API)"
)

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

dry_run=false
for arg in "$@"; do
  case $arg in
    --dry-run | -n) dry_run=true ;;
    --help | -h) usage; exit 0 ;;
    *) echo "ufw-setup.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

if [[ ! $SSH_PORT =~ ^[0-9]+$ ]] || ((SSH_PORT < 1 || SSH_PORT > 65535)); then
  echo "ufw-setup.sh: SSH_PORT must be a TCP port number, got \"$SSH_PORT\"" >&2
  exit 2
fi

if ! $dry_run; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "ufw-setup.sh: must run as root to change the firewall (try: sudo $0), or use --dry-run to print the rules" >&2
    exit 1
  fi
  if ! command -v ufw >/dev/null 2>&1; then
    echo "ufw-setup.sh: ufw is not installed (apt-get install ufw)" >&2
    exit 1
  fi
fi

# Prints the command (as it could be pasted into a shell); runs it unless this is a dry run.
run() {
  local word line=""
  for word in "$@"; do
    if [[ ! $word =~ ^[A-Za-z0-9_./:=-]+$ ]]; then
      word="'${word//\'/\'\\\'\'}'"
    fi
    line+="${line:+ }$word"
  done
  echo "$line"
  if ! $dry_run; then
    "$@"
  fi
}

$dry_run && echo "# dry run: these commands would be executed"

run ufw default deny incoming
run ufw default allow outgoing
run ufw allow "${SSH_PORT}/tcp" comment "SSH"
run ufw allow 80/tcp comment "HTTP: ACME challenges and redirect to HTTPS"
run ufw allow 443/tcp comment "HTTPS: payment and Telegram webhooks"
for entry in "${INTERNAL_PORTS[@]}"; do
  port=${entry%%:*}
  if [[ $port == "$SSH_PORT" ]]; then
    continue
  fi
  run ufw deny "${port}/tcp" comment "internal: ${entry#*:}"
done
run ufw --force enable
run ufw status verbose
