#!/usr/bin/env bash
# `npm run demo`: from a fresh Debian machine with Node 20 to a signed intermediate.
# Installs what is missing, creates a SoftHSM token under ./var, a demo root CA whose key is
# generated in the token, starts the daemon, signs an intermediate for a fresh `openssl req`
# CSR over HTTP, and prints the chain and OpenSSL's verdict. The daemon keeps serving until
# Ctrl-C; pass --once to stop it after the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
once=0; [ "${1:-}" = "--once" ] && once=1
bash scripts/ensure-system.sh
bash scripts/ensure-node.sh
eval "$(bash scripts/setup-softhsm.sh | sed 's/^/export /')"
var="${HSMCA_VAR:-$PWD/var}"
# Token secrets are stored as HMAC-SHA256 under this pepper, kept outside the database.
[ -f "$var/pepper" ] || (umask 077; openssl rand -hex 32 > "$var/pepper")
export HSMCA_TOKEN_PEPPER_FILE="${HSMCA_TOKEN_PEPPER_FILE:-$var/pepper}"
export HSMCA_DATABASE="${HSMCA_DATABASE:-$var/hsmca.db}"
export HSMCA_LISTEN="${HSMCA_LISTEN:-127.0.0.1:8080}"
export HSMCA_LOG_LEVEL="${HSMCA_LOG_LEVEL:-warn}"
hsmca() { node dist/cli.js "$@"; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(eval("JSON.parse(s)"+process.argv[1])))' "$1"; }
demo="$var/demo"; mkdir -p "$demo"

ca_id=$(hsmca ca list | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const c=JSON.parse(s).find(c=>c.name==="demo-root");console.log(c?c.id:"")})')
if [ -z "$ca_id" ]; then
  echo "== creating the demo root CA (P-256 key generated inside the token)" >&2
  ca_id=$(hsmca ca create-root --name demo-root --key-algorithm EC_prime256v1 \
    --common-name "hsmca Demo Root CA" --organization "hsmca demo" --country NL \
    --not-after "$(date -u -d '+10 years' +%Y-%m-%dT%H:%M:%SZ)" --max-path-length 1 | json .id)
fi
echo "== root CA: $ca_id" >&2
hsmca identity show demo >/dev/null 2>&1 || hsmca identity create --name demo --grant "sign-intermediate:$ca_id" >/dev/null
token=$(hsmca token create --identity demo | json .token)

echo "== starting the daemon on $HSMCA_LISTEN" >&2
node dist/cli.js serve > "$demo/serve.out" &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q listening "$demo/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(json .listening < "$demo/serve.out")

echo "== CSR from openssl req (P-384 key, kept in $demo/intermediate.key)" >&2
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$demo/intermediate.key" \
  -subj "/O=hsmca demo/CN=hsmca Demo Intermediate CA" -out "$demo/intermediate.csr" 2>/dev/null

echo "== POST $url/api/v1/cert-manager/ca/internal/$ca_id/sign-intermediate" >&2
node scripts/demo-sign.js "$url" "$ca_id" "$token" "$demo/intermediate.csr" \
  "$(date -u -d '+5 years' +%Y-%m-%dT%H:%M:%SZ)" "$demo"
echo
echo "== chain (intermediate, then its issuers)"
cat "$demo/intermediate.pem"; echo; cat "$demo/chain.pem"; echo
echo "== OpenSSL's verdict"
openssl verify -x509_strict -CAfile "$demo/root.pem" "$demo/intermediate.pem"
if [ "$once" = 1 ]; then exit 0; fi
echo "== the daemon is serving at $url (Ctrl-C to stop); bearer token: $token" >&2
wait $daemon
