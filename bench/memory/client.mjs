// Holds many client connections open against a gateway, for bench/memory.
//   node client.mjs idle PORT N KEY     N keep-alive connections, each after one request
//   node client.mjs streams PORT N KEY MODEL MAX_TOKENS
//                                        N streaming chat completions, all in flight at once
// Prints "ready <n>" once all are established (each has had its response, or its first chunk),
// then waits for a line on stdin and closes them all; prints "closed" and exits. Any error
// response or broken connection before "close" is fatal (exit 1).
import net from 'node:net';
import readline from 'node:readline';

const [mode, portArg, countArg, key, model = '', maxTokens = '512'] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const sockets = [];
let ready = 0;
let closing = false;

function fail(message) {
  if (closing) return;
  console.error(`client: ${message}`);
  process.exit(1);
}

function request() {
  if (mode === 'idle') {
    return `GET /v1/models HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer ${key}\r\n\r\n`;
  }
  const body = JSON.stringify({
    model, stream: true, max_tokens: Number(maxTokens), ignore_eos: true,
    messages: [{ role: 'user', content: 'Tell me a long story.' }],
  });
  return `POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer ${key}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function open(i) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let seen = '';
    let counted = false;
    s.setNoDelay(true);
    s.on('connect', () => s.write(request()));
    s.on('data', (d) => {
      if (counted) return;  // a stream's later chunks: read and dropped
      seen += d.toString('latin1');
      const head = seen.indexOf('\r\n\r\n');
      if (head < 0) return;
      if (!seen.startsWith('HTTP/1.1 200')) fail(`connection ${i}: ${seen.split('\r\n')[0]}`);
      if (mode === 'idle') {
        const m = /content-length: *(\d+)/i.exec(seen.slice(0, head));
        if (!m || seen.length < head + 4 + Number(m[1])) return;
      } else if (!seen.includes('data: ', head)) {
        return;
      }
      counted = true;
      seen = '';
      resolve();
    });
    s.on('error', (e) => fail(`connection ${i}: ${e.message}`));
    s.on('close', () => fail(`connection ${i} closed by the server`));
    sockets.push(s);
  });
}

// Opened in batches, so that the listen backlog is never the limit.
for (let i = 0; i < count; i += 500) {
  const batch = [];
  for (let j = i; j < Math.min(count, i + 500); ++j) batch.push(open(j));
  await Promise.all(batch);
  ready += batch.length;
}
console.log(`ready ${ready}`);
const rl = readline.createInterface({ input: process.stdin });
rl.once('line', () => {
  closing = true;
  for (const s of sockets) s.destroy();
  console.log('closed');
  setTimeout(() => process.exit(0), 100);
});
