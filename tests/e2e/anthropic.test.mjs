// Anthropic's Messages API through accord with the official client (`@anthropic-ai/sdk`), whole
// and streamed, errors in Anthropic's shape, and /v1/models in Anthropic's shape. Against the
// built-in engine and against an upstream pool (`accord engine`, chat only: accord translates).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { KEYS, startAccord, startEngine } from './accord.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const demo = path.join(root, 'examples/demo.yaml');

function upstreamAgreement(dir, enginePort) {
  const yaml = readFileSync(demo, 'utf8').replace(
    /  a100-west:\n(    .*\n)+/,
    `  a100-west:\n    upstreams: [ { url: "http://127.0.0.1:${enginePort}/v1" } ]\n`);
  const file = path.join(dir, 'upstream.yaml');
  writeFileSync(file, yaml);
  return file;
}

for (const backend of ['builtin', 'upstream']) {
  describe(`anthropic messages (${backend})`, () => {
    let accord;
    let engine;
    const client = (key = KEYS.copilot) => new Anthropic({
      apiKey: key, baseURL: `http://127.0.0.1:${accord.port}`, maxRetries: 0, timeout: 30_000,
    });

    before(async () => {
      let config = demo;
      if (backend === 'upstream') {
        engine = await startEngine(['--model', 'swift-1', '--gpu', 'a100', '--gpus', '1', '--model-params-b', '8']);
        config = upstreamAgreement(engine.cwd, engine.port);
      }
      accord = await startAccord(['serve', '--config', config, '--workers', '2']);
    });
    after(async () => {
      assert.equal(await accord.stop(), 0);
      if (engine) await engine.stop();
    });

    test('messages.create, whole', async () => {
      const m = await client().messages.create({
        model: 'swift-1', max_tokens: 16, system: 'Be brief.',
        messages: [{ role: 'user', content: 'Say hello' }],
      });
      assert.equal(m.type, 'message');
      assert.equal(m.role, 'assistant');
      assert.match(m.id, /^msg_/);
      assert.equal(m.model, 'swift-1');
      assert.equal(m.content[0].type, 'text');
      assert.ok(m.content[0].text.length > 0);
      assert.ok(['end_turn', 'max_tokens', 'stop_sequence'].includes(m.stop_reason));
      assert.ok(m.usage.input_tokens > 0);
      assert.ok(m.usage.output_tokens > 0 && m.usage.output_tokens <= 16);
    });

    test('messages.create, streamed: the event sequence and the final message', async () => {
      const stream = client().messages.stream({
        model: 'swift-1', max_tokens: 12, messages: [{ role: 'user', content: 'Count' }],
      });
      const types = [];
      let text = '';
      stream.on('streamEvent', (e) => types.push(e.type));
      stream.on('text', (t) => { text += t; });
      const final = await stream.finalMessage();
      assert.equal(types[0], 'message_start');
      assert.ok(types.includes('content_block_start'));
      assert.ok(types.includes('content_block_delta'));
      assert.ok(types.includes('content_block_stop'));
      assert.equal(types.at(-2), 'message_delta');
      assert.equal(types.at(-1), 'message_stop');
      assert.ok(text.length > 0);
      assert.equal(final.content[0].text, text);
      assert.ok(final.usage.output_tokens > 0 && final.usage.output_tokens <= 12);
      assert.ok(final.stop_reason);
    });

    test('errors in Anthropic\'s shape with the matching status', async () => {
      await assert.rejects(
        client('sk-nobody').messages.create({ model: 'swift-1', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
        (e) => e.status === 401 && e.error?.type === 'error' && e.error.error.type === 'authentication_error');
      await assert.rejects(
        client().messages.create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
        (e) => e.status === 404 && e.error.error.type === 'not_found_error');
      await assert.rejects(
        client().messages.create({ model: 'swift-1', messages: [{ role: 'user', content: 'x' }] }),
        (e) => e.status === 400 && e.error.error.type === 'invalid_request_error' && /max_tokens/.test(e.error.error.message));
    });

    test('/v1/models answers in Anthropic\'s shape when asked with its headers', async () => {
      const ids = [];
      for await (const m of client().models.list()) {
        assert.equal(m.type, 'model');
        ids.push(m.id);
      }
      assert.deepEqual(ids.sort(), ['embed-1', 'frontier-2', 'frontier-2-copilot', 'swift-1']);
      const one = await client().models.retrieve('swift-1');
      assert.equal(one.id, 'swift-1');
      assert.ok(one.created_at);
    });
  });
}
