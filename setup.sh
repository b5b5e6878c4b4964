#!/bin/sh
# Installs what Burrow needs on a fresh Debian/Ubuntu machine with Node.js 20, then builds it.
#   sh setup.sh start   before running Burrow (npm start calls this)
#   sh setup.sh test    before running the tests (npm test calls this)
# System packages are installed with apt-get when running as root; otherwise the exact command is printed.
set -eu
mode=${1:-start}
cd "$(dirname "$0")"

if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=18)?0:1)'; then
  echo "setup: Burrow needs Node.js 20.18 or newer (found $(node --version))." >&2
  exit 1
fi

missing=""
# The embedded Redis is only needed when no external one is configured; the tests always need it.
if [ "$mode" = test ] || [ -z "${REDIS_URL:-}${BURROW_REDIS_URL:-}" ]; then
  command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
fi
# bubblewrap is the code sandbox; setpriv and prlimit (util-linux) set its uid and limits; python3 is
# one of the languages it runs.
command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"
{ command -v setpriv >/dev/null 2>&1 && command -v prlimit >/dev/null 2>&1; } || missing="$missing util-linux"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
# The privacy leak test (test/e2e/privacy-leak.test.ts) runs the daemon in a network namespace (iproute2)
# and captures its packets (tshark).
if [ "$mode" = test ]; then
  command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
  command -v tshark >/dev/null 2>&1 || missing="$missing tshark"
fi

if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing$missing" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "setup: Burrow needs$missing. Install with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
    case "$missing" in *redis-server*) exit 1 ;; esac
    echo "setup: going on without them (code execution stays off until they are installed)." >&2
  fi
fi

# npm ci when dependencies are missing or the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
