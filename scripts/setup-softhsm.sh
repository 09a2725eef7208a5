#!/usr/bin/env bash
# Creates a private SoftHSM2 token under ./var for the demo (or $HSMCA_VAR): its own config,
# token directory and a random PIN in a 0600 file. Prints the env lines to use it. Idempotent.
set -euo pipefail
var="${HSMCA_VAR:-$(cd "$(dirname "$0")/.." && pwd)/var}"
label="${HSMCA_PKCS11_TOKEN:-hsmca-demo}"
umask 077
mkdir -p "$var/softhsm/tokens"
conf="$var/softhsm/softhsm2.conf"
cat > "$conf" <<CONF
directories.tokendir = $var/softhsm/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
export SOFTHSM2_CONF="$conf"
if ! softhsm2-util --show-slots 2>/dev/null | grep -q "Label: *$label *$"; then
  [ -f "$var/pin" ] || head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$var/pin"
  so_pin=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  softhsm2-util --init-token --free --label "$label" --pin "$(cat "$var/pin")" --so-pin "$so_pin" >&2
fi
cat <<ENV
SOFTHSM2_CONF=$conf
HSMCA_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
HSMCA_PKCS11_TOKEN=$label
HSMCA_PKCS11_PIN_FILE=$var/pin
ENV
