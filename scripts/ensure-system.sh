#!/usr/bin/env bash
# Installs what the tests and the demo need from Debian when it is missing: SoftHSM2, the
# third-party certificate judges (OpenSSL, GnuTLS certtool, NSS vfychain), OpenSC's pkcs11-tool,
# and what the fault tests' PKCS#11 shim is built with (cc, the p11-kit PKCS#11 header).
# Idempotent.
# With the argument `bench`, also wrk and cfssl for `npm run bench`.
set -euo pipefail
need=()
command -v softhsm2-util >/dev/null || need+=(softhsm2)
command -v openssl >/dev/null || need+=(openssl)
command -v certtool >/dev/null || need+=(gnutls-bin)
command -v vfychain >/dev/null || need+=(libnss3-tools)
[ -f /usr/lib/softhsm/libsofthsm2.so ] || need+=(softhsm2)
# A second PKCS#11 tool makes keys the way other software does (interop tests).
command -v pkcs11-tool >/dev/null || need+=(opensc)
# The fault tests build a PKCS#11 shim module in C: a compiler and the PKCS#11 header.
command -v cc >/dev/null || need+=(gcc libc6-dev)
[ -f /usr/include/p11-kit-1/p11-kit/pkcs11.h ] || need+=(libp11-kit-dev)
# `ensure-system.sh bench`: also the benchmark's C load generator and its yardstick.
if [ "${1:-}" = bench ]; then
  command -v wrk >/dev/null || need+=(wrk)
  command -v cfssl >/dev/null || need+=(golang-cfssl)
fi
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >&2
fi
