// Starts accord as a child process for end-to-end tests and stops it afterwards.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const KEYS = {
  copilot: 'sk-accord-demo-copilot-7Qm2xV9kLp3Rt8Wz',
  acme: 'sk-accord-demo-acme-4Hn6bJ1sYc5Fg0Ue',
  research: 'sk-accord-demo-research-2Kd8vN3qMw6Zx1Ta',
  cloud: 'sk-accord-demo-cloud-ops-9Pe4rB7tGy2Lh5Sc',
};

export function accordBinary() {
  const bin = process.env.ACCORD_BIN;
  if (!bin) throw new Error('ACCORD_BIN is not set (ctest sets it to the built accord)');
  return bin;
}

// Runs `accord ARGS… --listen 127.0.0.1:0` and resolves with its port once it listens (over
// HTTP, or HTTPS when the agreement sets server.tls; baseURL has the scheme).
// It runs in a temporary directory, where relative paths (the ledger's) land.
export async function startAccord(args) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'accord-e2e-'));
  const child = spawn(accordBinary(), [...args, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'inherit', 'pipe'], cwd,
  });
  let stderr = '';
  const [scheme, port] = await new Promise((resolve, reject) => {
    child.stderr.on('data', (data) => {
      stderr += data.toString();
      const m = stderr.match(/on (https?):\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve([m[1], Number(m[2])]);
    });
    child.on('exit', (code) => reject(new Error(`accord exited (${code}) before listening:\n${stderr}`)));
  });
  return {
    port,
    baseURL: `${scheme}://127.0.0.1:${port}/v1`,
    output: () => stderr,
    cwd,
    async stop() {
      let code = child.exitCode;
      if (code === null) {
        child.kill('SIGTERM');
        [code] = await once(child, 'exit');
      }
      rmSync(cwd, { recursive: true, force: true });
      return code;
    },
  };
}

// Runs `accord engine ARGS… --listen 127.0.0.1:0` (the built-in engine as a standalone
// OpenAI-compatible server: chat, completions, embeddings) and resolves with its port.
export async function startEngine(args) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'accord-engine-'));
  const child = spawn(accordBinary(), ['engine', ...args, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'inherit', 'pipe'], cwd,
  });
  let stderr = '';
  const port = await new Promise((resolve, reject) => {
    child.stderr.on('data', (data) => {
      stderr += data.toString();
      const m = stderr.match(/http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`accord engine exited (${code}) before listening:\n${stderr}`)));
  });
  return {
    port,
    cwd,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}
