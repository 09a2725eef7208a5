#!/usr/bin/env bash
# The container's ENTRYPOINT (Dockerfile): runs the CLI exactly as the README does
# (`node dist/cli.js …`; CMD is `serve`). With HSMCA_DEMO=1 it first makes (once) a SoftHSM token
# and a PIN file under $HSMCA_VAR with scripts/setup-softhsm.sh, the same script `npm run demo`
# uses; without it, the vendor's PKCS#11 module and PIN are whatever the environment names.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${HSMCA_DEMO:-0}" = 1 ]; then
  eval "$(bash scripts/setup-softhsm.sh | sed 's/^/export /')"
fi
exec node dist/cli.js "$@"
