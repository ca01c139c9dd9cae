// The official OpenAI client (npm `openai`) against `accord serve` on the demo agreement with the
// built-in engine: what a real client sees.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { KEYS, startAccord } from './accord.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let accord;
const client = (key = KEYS.copilot) =>
  new OpenAI({ apiKey: key, baseURL: accord.baseURL, maxRetries: 0, timeout: 30_000 });

before(async () => {
  accord = await startAccord(['serve', '--config', path.join(root, 'examples/demo.yaml'), '--workers', '2']);
});
after(async () => {
  assert.equal(await accord.stop(), 0, 'accord drains and exits 0 on SIGTERM');
});

describe('models', () => {
  test('lists exactly what the caller may call now', async () => {
    const ids = [];
    for await (const m of client().models.list()) ids.push(m.id);
    assert.deepEqual(ids.sort(), ['embed-1', 'frontier-2', 'frontier-2-copilot', 'swift-1']);
    const acme = [];
    for await (const m of client(KEYS.acme).models.list()) acme.push(m.id);
    assert.deepEqual(acme.sort(), ['embed-1', 'swift-1']);  // frontier-2 only from January
    const model = await client().models.retrieve('frontier-2');
    assert.equal(model.owned_by, 'lab');
  });
});

describe('chat completions', () => {
  test('non-streaming', async () => {
    const r = await client().chat.completions.create({
      model: 'swift-1',
      messages: [{ role: 'user', content: 'Say hello' }],
      max_tokens: 12,
    });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.system_fingerprint, 'accord-sim');
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.ok(r.choices[0].message.content.length > 0);
    assert.equal(r.usage.completion_tokens, 12);
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  test('streaming with usage, chunk by chunk', async () => {
    const stream = await client().chat.completions.create({
      model: 'frontier-2',
      messages: [{ role: 'user', content: 'Count' }],
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let role;
    let finish;
    let usage;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      if (chunk.choices.length === 0) {
        usage = chunk.usage;
        continue;
      }
      role ??= chunk.choices[0].delta.role;
      text += chunk.choices[0].delta.content ?? '';
      if (chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;
    }
    assert.equal(role, 'assistant');
    assert.equal(finish, 'length');
    assert.equal(usage.completion_tokens, 6);
    assert.ok(text.length > 0);
  });

  test('the stream helper assembles the final message', async () => {
    const runner = client().chat.completions.stream({
      model: 'swift-1',
      messages: [{ role: 'user', content: 'Tell me' }],
      max_tokens: 8,
      stream_options: { include_usage: true },
    });
    let deltas = '';
    runner.on('content', (delta) => { deltas += delta; });
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0].message.role, 'assistant');
    assert.equal(final.choices[0].message.content, deltas);
    assert.equal(final.choices[0].finish_reason, 'length');
    assert.equal(final.usage.completion_tokens, 8);
  });

  test('stop sequences end the answer before them', async () => {
    const base = await client().chat.completions.create({
      model: 'swift-1', messages: [{ role: 'user', content: 'stop test' }], max_tokens: 30,
    });
    const words = base.choices[0].message.content.split(' ');
    const stop = ' ' + words[5];
    const r = await client().chat.completions.create({
      model: 'swift-1', messages: [{ role: 'user', content: 'stop test' }], max_tokens: 30, stop: [stop],
    });
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.ok(!r.choices[0].message.content.includes(stop));
    assert.ok(base.choices[0].message.content.startsWith(r.choices[0].message.content));
  });

  test('n choices', async () => {
    const r = await client().chat.completions.create({
      model: 'swift-1', messages: [{ role: 'user', content: 'two' }], max_tokens: 4, n: 2,
    });
    assert.equal(r.choices.length, 2);
    assert.equal(r.usage.completion_tokens, 8);
  });
});

describe('completions and embeddings', () => {
  test('text completions', async () => {
    const r = await client().completions.create({ model: 'swift-1', prompt: 'Once upon', max_tokens: 5 });
    assert.equal(r.object, 'text_completion');
    assert.ok(r.choices[0].text.length > 0);
    assert.equal(r.usage.completion_tokens, 5);
  });

  test('embeddings, base64 (the client default) and float', async () => {
    const b = await client().embeddings.create({ model: 'embed-1', input: ['hello', 'world'] });
    assert.equal(b.data.length, 2);
    assert.equal(b.data[0].embedding.length, 256);
    const norm = Math.sqrt(b.data[0].embedding.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-3);
    const f = await client().embeddings.create({ model: 'embed-1', input: 'hello', encoding_format: 'float' });
    // Deterministic: the float form reads back as the same float32s the base64 form carries.
    assert.deepEqual(f.data[0].embedding.map(Math.fround), b.data[0].embedding);
    assert.ok(f.usage.prompt_tokens > 0);
  });
});

describe('errors', () => {
  test('401 for an unknown key', async () => {
    await assert.rejects(
      client('sk-nobody').chat.completions.create({ model: 'swift-1', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  });

  test('403 says from when the tier may call the model', async () => {
    await assert.rejects(
      client(KEYS.acme).chat.completions.create({ model: 'frontier-2', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.PermissionDeniedError && e.status === 403 &&
        e.message.includes('2027-01-15T00:00:00Z'));
  });

  test('404 for an unknown model, and for an exclusive one held by others', async () => {
    for (const [key, model] of [[KEYS.copilot, 'no-such-model'], [KEYS.research, 'frontier-2-copilot']]) {
      await assert.rejects(
        client(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }),
        (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.code === 'model_not_found');
    }
  });

  test('400 names the field at fault', async () => {
    await assert.rejects(
      client().chat.completions.create({ model: 'swift-1', messages: [{ role: 'user', content: 'x' }], n: 1000 }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'n');
    await assert.rejects(
      client().chat.completions.create({ model: 'swift-1', messages: 'not a list' }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'messages');
  });
});
