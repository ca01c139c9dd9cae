// The Responses API through accord, with the clients that use it by default: `openai`'s
// responses.create (whole and streamed), the AI SDK (`ai` + `@ai-sdk/openai`, whose provider('m')
// means the Responses API) and the OpenAI Agents SDK. Against the built-in engine; against an
// upstream pool (a chat-only OpenAI-compatible server: `accord engine`), which accord reaches by
// translating to Chat Completions; and against a pool whose upstream serves the Responses API
// itself (`native_apis: [responses]`; the upstream is a second accord gateway), to which accord
// relays each request as received and whose answers reach the client unchanged.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { generateText, streamText } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { Agent, OpenAIProvider, Runner, setTracingDisabled } from '@openai/agents';
import { KEYS, startAccord, startEngine } from './accord.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const demo = path.join(root, 'examples/demo.yaml');
setTracingDisabled(true);

// The demo agreement with swift-1's pool (a100-west) served by an upstream at `port`.
function upstreamAgreement(dir, port, poolKeys = '') {
  const yaml = readFileSync(demo, 'utf8').replace(
    /  a100-west:\n(    .*\n)+/,
    `  a100-west:\n    upstreams: [ { url: "http://127.0.0.1:${port}/v1" } ]\n${poolKeys}`);
  assert.match(yaml, /upstreams:/);
  const file = path.join(dir, 'upstream.yaml');
  writeFileSync(file, yaml);
  return file;
}

for (const backend of ['builtin', 'upstream', 'relay']) {
  describe(`responses (${backend})`, () => {
    let accord;
    let engine;
    const client = (key = KEYS.copilot) =>
      new OpenAI({ apiKey: key, baseURL: accord.baseURL, maxRetries: 0, timeout: 30_000 });

    before(async () => {
      let config = demo;
      if (backend === 'upstream') {
        engine = await startEngine(['--model', 'swift-1', '--gpu', 'a100', '--gpus', '1', '--model-params-b', '8']);
        config = upstreamAgreement(engine.cwd, engine.port);
      } else if (backend === 'relay') {
        // The upstream gateway knows the front one as copilot.
        process.env.ACCORD_E2E_UPSTREAM_KEY = KEYS.copilot;
        engine = await startAccord(['serve', '--config', demo, '--workers', '1']);
        config = upstreamAgreement(engine.cwd, engine.port,
          '    native_apis: [responses]\n    api_key_env: ACCORD_E2E_UPSTREAM_KEY\n');
      }
      accord = await startAccord(['serve', '--config', config, '--workers', '2']);
    });
    after(async () => {
      assert.equal(await accord.stop(), 0, 'accord drains and exits 0 on SIGTERM');
      if (engine) await engine.stop();
    });

    test('responses.create, whole: text, usage, stored and retrievable', async () => {
      const r = await client().responses.create({
        model: 'swift-1', input: 'Say hello', instructions: 'Be brief.', max_output_tokens: 16,
      });
      assert.equal(r.object, 'response');
      assert.match(r.id, /^resp_/);
      assert.ok(['completed', 'incomplete'].includes(r.status));
      assert.ok(r.output_text.length > 0);
      assert.ok(r.usage.input_tokens > 0);
      assert.ok(r.usage.output_tokens > 0 && r.usage.output_tokens <= 16);
      assert.equal(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens);
      assert.equal(r.instructions, 'Be brief.');
      if (backend === 'relay') {
        // Relayed, not translated: the upstream made the response and keeps it too.
        const direct = new OpenAI({ apiKey: KEYS.copilot, baseURL: engine.baseURL, maxRetries: 0 });
        assert.equal((await direct.responses.retrieve(r.id)).id, r.id);
      }
      const again = await client().responses.retrieve(r.id);
      assert.equal(again.id, r.id);
      assert.equal(again.output_text, r.output_text);
      // Scoped to the party: another party's key does not find it.
      await assert.rejects(client(KEYS.acme).responses.retrieve(r.id), (e) => e.status === 404);
      // previous_response_id continues the conversation: the prompt holds the earlier turn.
      const next = await client().responses.create({
        model: 'swift-1', input: 'And again', previous_response_id: r.id, max_output_tokens: 8,
      });
      assert.ok(next.usage.input_tokens > r.usage.input_tokens);
      await client().responses.delete(r.id);
      await assert.rejects(client().responses.retrieve(r.id), (e) => e.status === 404);
      if (backend === 'relay') {
        // Deleted where the upstream keeps it too.
        const direct = new OpenAI({ apiKey: KEYS.copilot, baseURL: engine.baseURL, maxRetries: 0 });
        await assert.rejects(direct.responses.retrieve(r.id), (e) => e.status === 404);
      }
      await assert.rejects(
        client().responses.create({ model: 'swift-1', input: 'x', previous_response_id: r.id }),
        (e) => e.status === 400 && e.code === 'previous_response_not_found');
    });

    test('responses.create, streamed: the event sequence ends in response.completed with usage', async () => {
      const stream = await client().responses.create({
        model: 'swift-1', input: [{ role: 'user', content: 'Count' }], max_output_tokens: 12,
        stream: true,
      });
      const types = [];
      let text = '';
      let completed;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.output_text.delta') text += event.delta;
        if (event.type === 'response.completed' || event.type === 'response.incomplete') completed = event.response;
      }
      assert.equal(types[0], 'response.created');
      assert.equal(types[1], 'response.in_progress');
      assert.ok(types.includes('response.output_item.added'));
      assert.ok(types.includes('response.content_part.added'));
      assert.ok(types.includes('response.output_text.done'));
      assert.ok(['response.completed', 'response.incomplete'].includes(types.at(-1)));
      assert.ok(text.length > 0);
      assert.equal(completed.output_text ?? completed.output[0].content[0].text, text);
      assert.ok(completed.usage.output_tokens > 0 && completed.usage.output_tokens <= 12);
    });

    test('the stream helper (responses.stream) assembles the final response', async () => {
      const stream = client().responses.stream({ model: 'swift-1', input: 'Hi', max_output_tokens: 6 });
      const final = await stream.finalResponse();
      assert.equal(final.output[0].type, 'message');
      assert.ok(final.output[0].content[0].text.length > 0);  // (the helper sets no output_text)
    });

    test('errors keep OpenAI\'s shape: unknown key, unknown model, untranslatable field', async () => {
      await assert.rejects(client('sk-nobody').responses.create({ model: 'swift-1', input: 'x' }),
        (e) => e.status === 401);
      await assert.rejects(client().responses.create({ model: 'nope', input: 'x' }),
        (e) => e.status === 404 && e.code === 'model_not_found');
      await assert.rejects(
        client().responses.create({ model: 'swift-1', input: 'x', tools: [{ type: 'web_search' }] }),
        (e) => e.status === 400 && /tools/.test(e.param ?? e.message));
    });

    test('the AI SDK\'s default provider (Responses) and .chat(), whole and streamed', async () => {
      const openai = createOpenAI({ apiKey: KEYS.copilot, baseURL: accord.baseURL });
      const viaResponses = await generateText({ model: openai('swift-1'), prompt: 'Hello', maxOutputTokens: 10 });
      assert.ok(viaResponses.text.length > 0);
      assert.ok(viaResponses.usage.outputTokens > 0);
      const viaChat = await generateText({ model: openai.chat('swift-1'), prompt: 'Hello', maxOutputTokens: 10 });
      assert.ok(viaChat.text.length > 0);
      const streamed = streamText({ model: openai('swift-1'), prompt: 'Stream', maxOutputTokens: 10 });
      let text = '';
      for await (const part of streamed.textStream) text += part;
      assert.ok(text.length > 0);
      assert.ok((await streamed.usage).outputTokens > 0);
    });

    test('the OpenAI Agents SDK with its default API (Responses)', async () => {
      // The provider's default API is Responses; the client points it at accord.
      const runner = new Runner({ modelProvider: new OpenAIProvider({ openAIClient: client() }) });
      const agent = new Agent({ name: 'greeter', instructions: 'Greet briefly.', model: 'swift-1',
        modelSettings: { maxTokens: 12 } });
      const result = await runner.run(agent, 'Hello');
      assert.ok(typeof result.finalOutput === 'string' && result.finalOutput.length > 0);
    });
  });
}
