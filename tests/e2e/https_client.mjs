// The `openai` client over HTTPS, as its own process: Node reads NODE_EXTRA_CA_CERTS (the test's
// throwaway CA) only when it starts. Runs a whole and a streamed chat completion against
// ACCORD_BASE_URL with ACCORD_KEY and prints what it got as one JSON line.
import OpenAI from 'openai';

const client = new OpenAI({
  apiKey: process.env.ACCORD_KEY, baseURL: process.env.ACCORD_BASE_URL, maxRetries: 0, timeout: 30_000,
});
const whole = await client.chat.completions.create({
  model: 'swift-1', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 12,
});
const stream = await client.chat.completions.create({
  model: 'swift-1', messages: [{ role: 'user', content: 'Count' }], max_tokens: 6, stream: true,
  stream_options: { include_usage: true },
});
let streamed = '';
let usage;
for await (const chunk of stream) {
  if (chunk.choices.length === 0) usage = chunk.usage;
  else streamed += chunk.choices[0].delta.content ?? '';
}
console.log(JSON.stringify({
  object: whole.object, content: whole.choices[0].message.content,
  completion_tokens: whole.usage.completion_tokens, streamed, streamed_tokens: usage?.completion_tokens,
}));
