// Used by demo.sh: POSTs a CSR to sign-intermediate and writes the certificate, chain and root.
// Plain Node (fetch is built in), so the demo needs no curl.
const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const [url, caId, token, csrFile, notAfter, outDir] = process.argv.slice(2);
  const res = await fetch(`${url}/api/v1/cert-manager/ca/internal/${caId}/sign-intermediate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ csr: fs.readFileSync(csrFile, 'utf8'), notAfter, maxPathLength: 0 }),
  });
  const body = await res.json();
  console.log(`HTTP ${res.status}`);
  console.log(JSON.stringify(body, null, 2));
  if (res.status !== 200) process.exit(1);
  const chain = body.certificateChain.split(/(?<=-----END CERTIFICATE-----)\n/);
  fs.writeFileSync(path.join(outDir, 'intermediate.pem'), `${body.certificate}\n`);
  fs.writeFileSync(path.join(outDir, 'chain.pem'), `${body.certificateChain}\n`);
  fs.writeFileSync(path.join(outDir, 'root.pem'), `${chain[chain.length - 1]}\n`);
}
main().catch((e) => {
  console.error(`demo: ${e.message}`);
  process.exit(1);
});
