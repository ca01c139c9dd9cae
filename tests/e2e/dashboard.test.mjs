// The live dashboard in headless Chromium (Debian's `chromium`, driven by playwright-core) against
// `accord serve` on the demo agreement under a little load: a customer's key is turned away, an
// operator's opens it, and the figures it shows match /metrics. Saves a screenshot as a test
// artifact (ACCORD_ARTIFACTS, default build/test-artifacts).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { KEYS, startAccord } from './accord.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = process.env.ACCORD_ARTIFACTS || path.join(root, 'build/test-artifacts');
let accord;
let browser;

before(async () => {
  accord = await startAccord(['serve', '--config', path.join(root, 'examples/demo.yaml'),
    '--workers', '2', '--access-log', 'off']);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
});
after(async () => {
  await browser?.close();
  assert.equal(await accord.stop(), 0);
});

async function chat(key, model, maxTokens) {
  const r = await fetch(`${accord.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Tell me a story' }],
      max_tokens: maxTokens }),
  });
  await r.arrayBuffer();
  return r.status;
}

// Sums the samples of a metric whose labels include party="P".
function sumFor(text, metric, party, also = '') {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(metric + '{') && line.includes(`party="${party}"`) && line.includes(also)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

const number = (text) => Number(text.replace(/,/g, ''));

test('the dashboard shows what /metrics says, to operators only', async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`http://127.0.0.1:${accord.port}/dashboard`);

  // A customer's key does not open it.
  await page.fill('#key', KEYS.copilot);
  await page.click('#login-form button');
  await page.waitForFunction(() => document.querySelector('#error').textContent.includes('operator'));
  assert.equal(await page.isVisible('#app'), false);

  // Load while the page watches: reserved (copilot on frontier-2), shared (acme, research).
  let loading = true;
  const load = (async () => {
    const sent = [];
    while (loading) {
      sent.push(chat(KEYS.copilot, 'frontier-2', 24), chat(KEYS.acme, 'swift-1', 16),
        chat(KEYS.research, 'swift-1', 16),
        chat(KEYS.acme, 'frontier-2', 4),   // 403: standard customers only from January
        chat('sk-nobody', 'swift-1', 4));   // 401: no party
      await Promise.all(sent.splice(0));
    }
  })();

  await page.fill('#key', KEYS.cloud);
  await page.click('#login-form button');
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForFunction(() => {
    const cell = document.querySelector('[data-testid="requests-copilot"]');
    return cell && Number(cell.textContent.replace(/,/g, '')) > 5;
  }, null, { timeout: 30_000 });
  // A few refreshes under load, so rates and sparklines have something to show.
  await page.waitForTimeout(3000);
  loading = false;
  await load;

  // Quiet now: the next refresh must show exactly what /metrics counts.
  const metrics = await (await fetch(`http://127.0.0.1:${accord.port}/metrics`,
    { headers: { Authorization: `Bearer ${KEYS.cloud}` } })).text();
  for (const party of ['copilot', 'acme', 'research']) {
    const expected = {
      requests: sumFor(metrics, 'accord_requests_total', party),
      input: sumFor(metrics, 'accord_input_tokens_total', party),
      output: sumFor(metrics, 'accord_output_tokens_total', party),
      // Every refusal the party got: 429s by limit, and 403/404 (entitlement).
      refusals: sumFor(metrics, 'accord_refusals_total', party) +
        sumFor(metrics, 'accord_requests_total', party, 'status="403"') +
        sumFor(metrics, 'accord_requests_total', party, 'status="404"'),
    };
    assert.ok(expected.requests > 0, `${party} sent requests`);
    await page.waitForFunction(([p, n]) => {
      const cell = document.querySelector(`[data-testid="requests-${p}"]`);
      return cell && Number(cell.textContent.replace(/,/g, '')) === n;
    }, [party, expected.requests], { timeout: 10_000 });
    for (const field of ['input', 'output', 'refusals']) {
      const shown = number(await page.textContent(`[data-testid="${field}-${party}"]`));
      assert.equal(shown, expected[field], `${party} ${field}`);
    }
  }
  // Refusals by cause: acme's 403s are entitlement refusals; a wrong key counts apart.
  assert.match(await page.textContent('[data-testid="refused-by-acme"]'), /entitlement \d/);
  const unauthenticated = metrics.split('\n')
    .filter((l) => l.startsWith('accord_requests_total{') && l.includes('party=""') &&
      l.includes('status="401"'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  assert.ok(unauthenticated > 0);
  assert.equal(number(await page.textContent('[data-testid="unauthenticated"]')), unauthenticated);
  // The reservation's TTFT p99 is shown against its target.
  const ttft = await page.textContent('[data-testid="ttft-copilot-frontier-2"]');
  assert.match(ttft, /ms$/);

  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'dashboard.png'), fullPage: true });
});
