// The official OpenAI client (npm `openai`) against `accord serve` over HTTPS (server.tls), with
// a throwaway CA and certificate made here by the openssl CLI: trusted through
// NODE_EXTRA_CA_CERTS, it gets whole and streamed answers; without the CA it refuses to connect.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { KEYS, startAccord } from './accord.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
let accord;
let dir;

// A CA, and a certificate it signs for localhost and 127.0.0.1 (EC P-256).
function makeCertificates(into) {
  const openssl = (...args) => execFileSync('openssl', args, { cwd: into, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-days', '1', '-subj', '/CN=accord e2e CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-subj', '/CN=localhost', '-keyout', 'tls.key', '-out', 'tls.csr');
  writeFileSync(path.join(into, 'tls.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '1', '-extfile', 'tls.ext', '-out', 'tls.crt');
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'accord-e2e-tls-'));
  makeCertificates(dir);
  const demo = readFileSync(path.join(root, 'examples/demo.yaml'), 'utf8');
  const config = path.join(dir, 'agreement.yaml');
  writeFileSync(config, `${demo}\nserver: { tls: { cert: ${dir}/tls.crt, key: ${dir}/tls.key } }\n`);
  accord = await startAccord(['serve', '--config', config, '--workers', '2']);
});
after(async () => {
  assert.equal(await accord.stop(), 0, 'accord drains and exits 0 on SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('serves https://', () => {
  assert.match(accord.baseURL, /^https:\/\/127\.0\.0\.1:\d+\/v1$/);
});

test('the openai client trusting the CA gets whole and streamed answers', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(here, 'https_client.mjs')], {
    cwd: here,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'),
      ACCORD_BASE_URL: accord.baseURL, ACCORD_KEY: KEYS.copilot },
  });
  const got = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(got.object, 'chat.completion');
  assert.ok(got.content.length > 0);
  assert.equal(got.completion_tokens, 12);
  assert.ok(got.streamed.length > 0);
  assert.equal(got.streamed_tokens, 6);
});

test('without the CA the client refuses the certificate', async () => {
  const client = new OpenAI({ apiKey: KEYS.copilot, baseURL: accord.baseURL, maxRetries: 0, timeout: 30_000 });
  await assert.rejects(
    client.chat.completions.create({ model: 'swift-1', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 }),
    // fetch's TypeError, caused by the TLS error ("unable to verify the first certificate").
    (e) => e instanceof OpenAI.APIConnectionError && /certificate/.test(e.cause?.cause?.message ?? ''));
});
