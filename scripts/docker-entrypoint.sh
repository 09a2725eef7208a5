#!/usr/bin/env bash
# The container's ENTRYPOINT (Dockerfile): runs the CLI exactly as the README does
# (`node dist/cli.js …`; CMD is `serve`). With HSMCA_DEMO=1 it first makes (once) a SoftHSM token
# and a PIN file under $HSMCA_VAR with scripts/setup-softhsm.sh, the same script `npm run demo`
# uses, and a token pepper file; without it, the vendor's PKCS#11 module, the PIN and the pepper
# are whatever the environment names.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${HSMCA_DEMO:-0}" = 1 ]; then
  eval "$(bash scripts/setup-softhsm.sh | sed 's/^/export /')"
  # The token pepper, made once beside the PIN (in production, a secret the orchestrator mounts).
  var="${HSMCA_VAR:-$PWD/var}"
  [ -f "$var/pepper" ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$var/pepper")
  export HSMCA_TOKEN_PEPPER_FILE="${HSMCA_TOKEN_PEPPER_FILE:-$var/pepper}"
fi
exec node dist/cli.js "$@"
