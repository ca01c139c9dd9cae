#!/usr/bin/env python3
"""A fake OpenAI-compatible upstream whose latency has a known knee, for bench/overload.

It runs like a continuous-batching engine: every iteration gives one output token to each request
in flight, and an iteration takes base × max(1, inflight / knee), recomputed at each iteration from
the requests in flight then. Up to `knee` requests run at full speed; past it, throughput stays at
knee / base tokens/s and each request's time per output token (TPOT) grows with the queue. A
concurrency limiter that finds the knee should settle at `knee`.

  POST /v1/chat/completions   streamed (SSE chat.completion.chunk, a usage chunk when
                              stream_options.include_usage, then [DONE]) or one JSON body
  GET  /v1/models             the model list (accord's health checks)
  GET  /stats                 JSON: requests, tokens, iterations, and the pace it kept against
                              the model's (so a host too slow to keep it is visible)

Answers have max_tokens (or max_completion_tokens) output tokens, else --tokens. Prompt tokens are
counted as the messages' bytes / 4. Loopback only, stdlib only; stops after --lifetime seconds.

  bench/fake_upstream.py --port 18950 --knee 32 --base-ms 10 --tokens 20
"""
import argparse
import asyncio
import json
import signal
import time


class Engine:
    def __init__(self, knee, base_s):
        self.knee = knee
        self.base_s = base_s
        self.running = []  # of Stream
        self.wake = asyncio.Event()
        # Stats: token-weighted model pace vs kept pace, iterations, requests, tokens.
        self.iterations = 0
        self.requests = 0
        self.tokens = 0
        self.model_token_s = 0.0  # Σ over tokens of the modelled iteration time
        self.kept_token_s = 0.0   # Σ over tokens of the iteration time actually kept
        self.inflight_token_sum = 0  # Σ over iterations of inflight (for the mean)
        self.max_inflight = 0
        self.late_iterations = 0  # iterations that ran ≥ 20% over their modelled time

    def add(self, stream):
        self.running.append(stream)
        self.requests += 1
        self.wake.set()

    async def run(self):
        loop = asyncio.get_running_loop()
        while True:
            if not self.running:
                self.wake.clear()
                await self.wake.wait()
            n = len(self.running)
            step = self.base_s * max(1.0, n / self.knee)
            start = loop.time()
            await asyncio.sleep(step)
            kept = loop.time() - start
            # Tokens go to the requests that were running when the iteration began.
            batch, self.running = self.running[:n], self.running[n:]
            keep = []
            for s in batch:
                if s.emit():
                    keep.append(s)
            self.running = keep + self.running
            self.iterations += 1
            self.tokens += n
            self.model_token_s += n * step
            self.kept_token_s += n * kept
            self.inflight_token_sum += n
            self.max_inflight = max(self.max_inflight, n)
            if kept > 1.2 * step:
                self.late_iterations += 1

    def stats(self):
        return {
            "knee": self.knee,
            "base_ms": self.base_s * 1000,
            "requests": self.requests,
            "tokens": self.tokens,
            "iterations": self.iterations,
            "inflight_now": len(self.running),
            "inflight_max": self.max_inflight,
            "inflight_mean": self.inflight_token_sum / self.iterations if self.iterations else 0,
            # Per-token pace, token-weighted: what the model asked for and what the host kept.
            "model_pace_ms": 1000 * self.model_token_s / self.tokens if self.tokens else 0,
            "kept_pace_ms": 1000 * self.kept_token_s / self.tokens if self.tokens else 0,
            "late_iterations": self.late_iterations,
        }


class Stream:
    """One request's generation: writes a token per iteration, then finishes."""

    def __init__(self, writer, model, prompt_tokens, tokens, streamed, usage, keep_alive):
        self.w = writer
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.tokens = tokens
        self.done_tokens = 0
        self.streamed = streamed
        self.usage = usage
        self.keep_alive = keep_alive
        self.id = f"chatcmpl-fake{id(self):x}"
        self.created = int(time.time())
        self.finished = asyncio.get_running_loop().create_future()

    def chunk(self, payload):
        data = b"data: " + payload + b"\n\n"
        self.w.write(b"%x\r\n%s\r\n" % (len(data), data))

    def start(self):
        if not self.streamed:
            return
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                b"Transfer-Encoding: chunked\r\n")
        head += b"Connection: keep-alive\r\n\r\n" if self.keep_alive else b"Connection: close\r\n\r\n"
        self.w.write(head)
        self.chunk(self.event({"role": "assistant", "content": ""}, None))

    def event(self, delta, finish):
        return json.dumps({"id": self.id, "object": "chat.completion.chunk",
                           "created": self.created, "model": self.model,
                           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]},
                          separators=(",", ":")).encode()

    def emit(self):
        """One token; False when the answer is complete."""
        if self.w.is_closing():
            self.finish()
            return False
        self.done_tokens += 1
        last = self.done_tokens >= self.tokens
        if self.streamed:
            self.chunk(self.event({"content": "tok "}, "length" if last else None))
        if last:
            self.complete()
            return False
        return True

    def usage_body(self):
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.done_tokens,
                "total_tokens": self.prompt_tokens + self.done_tokens}

    def complete(self):
        if self.streamed:
            if self.usage:
                self.chunk(json.dumps({"id": self.id, "object": "chat.completion.chunk",
                                       "created": self.created, "model": self.model,
                                       "choices": [], "usage": self.usage_body()},
                                      separators=(",", ":")).encode())
            self.chunk(b"[DONE]")
            self.w.write(b"0\r\n\r\n")
        else:
            body = json.dumps({"id": self.id, "object": "chat.completion", "created": self.created,
                               "model": self.model,
                               "choices": [{"index": 0, "finish_reason": "length",
                                            "message": {"role": "assistant",
                                                        "content": "tok " * self.done_tokens}}],
                               "usage": self.usage_body()}, separators=(",", ":")).encode()
            self.w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                         b"Connection: %s\r\n\r\n%s"
                         % (len(body), b"keep-alive" if self.keep_alive else b"close", body))
        self.finish()

    def finish(self):
        if not self.finished.done():
            self.finished.set_result(None)


def simple(writer, status, body, keep_alive, ctype=b"application/json"):
    writer.write(b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n%s"
                 % (status, ctype, len(body), b"keep-alive" if keep_alive else b"close", body))


async def handle(engine, args, reader, writer):
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = (lines[0].split(" ") + ["", "", ""])[:3]
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = b""
            if "content-length" in headers:
                body = await reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    data = await reader.readexactly(size + 2)
                    if size == 0:
                        break
                    body += data[:-2]
            keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
            path = target.split("?")[0]
            if method == "GET" and path.endswith("/models"):
                simple(writer, b"200 OK", json.dumps(
                    {"object": "list", "data": [{"id": args.model, "object": "model",
                                                 "owned_by": "fake"}]}).encode(), keep_alive)
            elif method == "GET" and path == "/stats":
                simple(writer, b"200 OK", json.dumps(engine.stats()).encode(), keep_alive)
            elif method == "POST" and path.endswith("/chat/completions"):
                try:
                    req = json.loads(body)
                except ValueError:
                    simple(writer, b"400 Bad Request",
                           b'{"error":{"message":"bad json","type":"invalid_request_error"}}',
                           keep_alive)
                    continue
                prompt_bytes = sum(len(str(m.get("content", ""))) for m in req.get("messages", []))
                tokens = int(req.get("max_completion_tokens") or req.get("max_tokens") or args.tokens)
                stream = Stream(writer, req.get("model", args.model), max(1, (prompt_bytes + 3) // 4),
                                max(1, tokens), bool(req.get("stream")),
                                bool((req.get("stream_options") or {}).get("include_usage")),
                                keep_alive)
                stream.start()
                engine.add(stream)
                await stream.finished
            else:
                simple(writer, b"404 Not Found",
                       b'{"error":{"message":"not found","type":"invalid_request_error"}}', keep_alive)
            await writer.drain()
            if not keep_alive:
                return
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        return
    except asyncio.CancelledError:  # shutting down
        return
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--knee", type=int, default=32, help="requests in flight at full speed")
    ap.add_argument("--base-ms", type=float, default=10, help="time per output token up to the knee")
    ap.add_argument("--tokens", type=int, default=20, help="output tokens when max_tokens is absent")
    ap.add_argument("--model", default="m")
    ap.add_argument("--lifetime", type=float, default=900, help="seconds before it stops itself")
    args = ap.parse_args()
    engine = Engine(args.knee, args.base_ms / 1000)
    server = await asyncio.start_server(lambda r, w: handle(engine, args, r, w), "127.0.0.1",
                                        args.port, backlog=1024)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    runner = asyncio.create_task(engine.run())
    try:
        await asyncio.wait_for(stop, args.lifetime)
    except asyncio.TimeoutError:
        pass
    runner.cancel()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
