// pki-lab's Node client (src/clients/probe.mjs): one HTTPS GET with node:https.
// usage: node probe.mjs URL HOST PORT CA CERT|- KEY|- [CRL...]
// prints "accepted" or "refused", then err.code, then the full message.
import fs from 'node:fs';
import https from 'node:https';

const [url, host, port, ca, cert, key, ...crlFiles] = process.argv.slice(2);
// Node loads one CRL per entry: a file holding two CRLs must be split, or only the first counts.
const crl = crlFiles.flatMap((f) => fs.readFileSync(f, 'utf8').match(/-----BEGIN X509 CRL-----[^-]+-----END X509 CRL-----/g) ?? []);
const options = { ca: fs.readFileSync(ca), agent: false, timeout: 20000 };
if (crl.length > 0) options.crl = crl;
if (cert !== '-') {
  options.cert = fs.readFileSync(cert);
  options.key = fs.readFileSync(key);
}
const req = https.get(url, options, (res) => {
  res.resume();
  res.on('end', () => {
    console.log(res.statusCode === 200 ? 'accepted' : 'refused');
    console.log(res.statusCode === 200 ? 'ok' : `HTTP ${res.statusCode}`);
    console.log(`HTTP ${res.statusCode}`);
  });
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (err) => {
  console.log('refused');
  console.log(err.code ?? err.name);
  console.log(`${err.code ?? err.name}: ${err.message}`);
});
