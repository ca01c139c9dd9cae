#include "engine/openai_responder.h"

#include <fmt/format.h>

#include <cmath>

#include "engine/text_generator.h"
#include "http/openai_error.h"
#include "http/sse.h"

namespace accord {
namespace {

int64_t bytes_to_tokens(int64_t bytes) {
  return (bytes + 3) / 4;
}

std::vector<float> embedding_vector(uint64_t seed, int dimensions) {
  std::vector<float> v(static_cast<size_t>(dimensions));
  double norm = 0;
  for (int i = 0; i < dimensions; ++i) {
    const uint64_t r = splitmix64(seed + static_cast<uint64_t>(i));
    const double x = static_cast<double>(r >> 11) * 0x1.0p-53 * 2 - 1;
    v[static_cast<size_t>(i)] = static_cast<float>(x);
    norm += x * x;
  }
  const double scale = norm > 0 ? 1 / std::sqrt(norm) : 0;
  for (float& f : v) f = static_cast<float>(f * scale);
  return v;
}

std::unique_ptr<Generation> submit(LiveEngine& engine, const RunControl& run, int64_t prompt,
                                   int64_t output, const std::shared_ptr<Waiter>& waiter) {
  if (run.lane >= 0) return engine.submit_on(run.lane, prompt, output, waiter);
  return engine.submit(prompt, output, waiter);
}

asio::awaitable<RunOutcome> serve_embeddings(LiveEngine& engine, HttpExchange& exchange,
                                             const RequestBody& body, const EngineLimits& limits,
                                             const ResponseMeta& meta, const HeaderLines& headers,
                                             const RunControl& run) {
  RunOutcome outcome;
  outcome.usage_known = true;
  const int dimensions = static_cast<int>(body.dimensions.value_or(limits.embedding_dimensions));
  if (dimensions > limits.embedding_dimensions) {
    outcome.error = Error::client(
        ErrorKind::kInvalidRequest,
        fmt::format("This model's embeddings have at most {} dimensions; {} were requested.",
                    limits.embedding_dimensions, dimensions),
        "dimensions");
    co_return outcome;
  }
  // (No co_await inside a conditional expression: GCC 12 miscompiles those.)
  const auto executor = co_await asio::this_coro::executor;
  auto waiter = run.waiter ? run.waiter : std::make_shared<Waiter>(executor);
  std::vector<std::unique_ptr<Generation>> generations;
  for (const EmbeddingInput& input : body.inputs) {
    const int64_t tokens = std::max<int64_t>(1, bytes_to_tokens(input.bytes) + input.tokens);
    if (tokens > limits.context_window) {
      outcome.error = Error::client(
          ErrorKind::kInvalidRequest,
          fmt::format("This model's maximum context length is {} tokens, however you requested "
                      "{} tokens in one input.",
                      limits.context_window, tokens),
          "input");
      co_return outcome;
    }
    outcome.prompt_tokens += tokens;
    generations.push_back(submit(engine, run, tokens, 0, waiter));
  }
  for (;;) {
    if (run.stop_requested()) {
      for (auto& g : generations) g->cancel();
      outcome.stopped = true;
      co_return outcome;
    }
    bool done = true;
    for (auto& g : generations) done = done && g->progress().finished;
    if (done) break;
    co_await waiter->wait();
  }
  std::vector<std::vector<float>> vectors;
  vectors.reserve(body.inputs.size());
  for (const EmbeddingInput& input : body.inputs) {
    vectors.push_back(embedding_vector(input.hash, dimensions));
  }
  std::string out;
  append_embeddings(out, meta.model, vectors, body.base64, outcome.prompt_tokens);
  if (run.gate != nullptr &&
      !co_await run.gate->before_final(outcome.prompt_tokens, 0, SystemClock::instance().now())) {
    outcome.error = unrecorded_error();
    co_return outcome;
  }
  run.mark_output();
  if (!co_await exchange.respond(200, "application/json", out, headers)) outcome.client_gone = true;
  co_return outcome;
}

}  // namespace

Error unrecorded_error() {
  return Error::internal(ErrorKind::kUnavailable,
                         "The usage ledger could not record this request, so its answer is "
                         "withheld rather than served unbilled. Please retry.");
}

int64_t simulated_prompt_tokens(const RequestBody& body) {
  const int64_t text = bytes_to_tokens(body.prompt_bytes) + body.prompt_token_ids;
  if (body.kind == ApiKind::kChat) return text + 4 * body.prompt_parts + 3;
  return std::max<int64_t>(1, text);
}

asio::awaitable<RunOutcome> serve_with_engine(LiveEngine& engine, HttpExchange& exchange,
                                              const RequestBody& body, const EngineLimits& limits,
                                              const ResponseMeta& meta, const HeaderLines& headers,
                                              const Clock& clock, RunControl run) {
  if (body.kind == ApiKind::kEmbedding) {
    co_return co_await serve_embeddings(engine, exchange, body, limits, meta, headers, run);
  }
  RunOutcome outcome;
  outcome.usage_known = true;
  const bool chat = body.kind == ApiKind::kChat;
  const int64_t prompt = simulated_prompt_tokens(body);
  outcome.prompt_tokens = prompt;
  const int64_t room = limits.context_window - prompt;
  if (room < 1 || (body.max_tokens && *body.max_tokens > room)) {
    outcome.error = Error::client(
        ErrorKind::kInvalidRequest,
        fmt::format("This model's maximum context length is {} tokens. However, you requested {} "
                    "tokens ({} in the {}, {} in the completion). Please reduce the length of "
                    "the {} or completion.",
                    limits.context_window, prompt + body.max_tokens.value_or(0), prompt,
                    chat ? "messages" : "prompt", body.max_tokens.value_or(0),
                    chat ? "messages" : "prompt"),
        chat ? "messages" : "prompt");
    co_return outcome;
  }
  int64_t cap = room;
  if (limits.max_output_tokens > 0) cap = std::min(cap, limits.max_output_tokens);
  if (body.max_tokens) cap = std::min(cap, *body.max_tokens);

  // One sequence per choice, all waking the same waiter.
  const auto n = static_cast<size_t>(body.n);
  // (No co_await inside a conditional expression: GCC 12 miscompiles those.)
  const auto executor = co_await asio::this_coro::executor;
  auto waiter = run.waiter ? run.waiter : std::make_shared<Waiter>(executor);
  std::vector<TextGenerator> texts;
  std::vector<GenerationPlan> plans;
  std::vector<std::unique_ptr<Generation>> generations;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t seed = splitmix64(body.prompt_hash + i);
    texts.emplace_back(seed);
    plans.push_back(plan_generation(seed, cap, body.ignore_eos, body.min_tokens, body.stop));
    generations.push_back(submit(engine, run, prompt, plans.back().tokens, waiter));
  }
  std::vector<int64_t> sent(n, 0);
  std::vector<bool> finished(n, false);
  std::string out;

  if (!body.stream) {
    for (;;) {
      if (run.stop_requested()) {
        for (auto& g : generations) g->cancel();
        outcome.stopped = true;
        co_return outcome;
      }
      bool done = true;
      for (size_t i = 0; i < n; ++i) {
        const GenerationProgress p = generations[i]->progress();
        if (p.first_token_at != 0 &&
            (outcome.first_token_at == 0 || p.first_token_at < outcome.first_token_at)) {
          outcome.first_token_at = p.first_token_at;
        }
        done = done && p.finished;
      }
      if (done) break;
      co_await waiter->wait();
    }
    std::vector<ChoiceText> choices(n);
    for (size_t i = 0; i < n; ++i) {
      for (int64_t k = 0; k < plans[i].tokens; ++k) choices[i].text.append(texts[i].token(k));
      choices[i].finish_reason = plans[i].finish_reason;
      outcome.completion_tokens += plans[i].tokens;
    }
    const Usage usage{prompt, outcome.completion_tokens};
    if (chat) {
      append_chat_completion(out, meta, choices, usage);
    } else {
      append_text_completion(out, meta, choices, usage);
    }
    if (run.gate != nullptr && !co_await run.gate->before_final(prompt, outcome.completion_tokens,
                                                                outcome.first_token_at)) {
      outcome.error = unrecorded_error();
      co_return outcome;
    }
    run.mark_output();
    if (!co_await exchange.respond(200, "application/json", out, headers)) {
      outcome.client_gone = true;
    }
    co_return outcome;
  }

  // The head goes out with the first token, so a request stopped before it can still be
  // requeued or answered with a clean error.
  bool began = false;
  for (;;) {
    out.clear();
    if (run.stop_requested()) {
      for (auto& g : generations) g->cancel();
      outcome.stopped = true;
      if (!began) co_return outcome;
      for (size_t i = 0; i < n; ++i) outcome.completion_tokens += sent[i];
      append_sse_data(out, openai_error_body(preempted_error()));
      co_await exchange.write_chunk(out);
      co_await exchange.end_stream();
      outcome.status = 503;
      co_return outcome;
    }
    bool all_done = true;
    MonoNanos wake = Waiter::kForever;
    for (size_t i = 0; i < n; ++i) {
      if (finished[i]) continue;
      const GenerationProgress p = generations[i]->progress();
      if (p.first_token_at != 0 &&
          (outcome.first_token_at == 0 || p.first_token_at < outcome.first_token_at)) {
        outcome.first_token_at = p.first_token_at;
      }
      const int64_t ready = std::min(p.tokens, plans[i].tokens);
      for (; sent[i] < ready; ++sent[i]) {
        const bool first = sent[i] == 0;
        if (chat) {
          if (first) {
            append_chat_chunk(out, meta, static_cast<int64_t>(i), "", true, nullptr,
                              body.include_usage);
          }
          append_chat_chunk(out, meta, static_cast<int64_t>(i), texts[i].token(sent[i]), false,
                            nullptr, body.include_usage);
        } else {
          append_completion_chunk(out, meta, static_cast<int64_t>(i), texts[i].token(sent[i]),
                                  nullptr, body.include_usage);
        }
      }
      if (p.finished) {
        finished[i] = true;
        if (chat) {
          if (sent[i] == 0) {
            append_chat_chunk(out, meta, static_cast<int64_t>(i), "", true, nullptr,
                              body.include_usage);
          }
          append_chat_chunk(out, meta, static_cast<int64_t>(i), "", false, plans[i].finish_reason,
                            body.include_usage);
        } else {
          append_completion_chunk(out, meta, static_cast<int64_t>(i), "", plans[i].finish_reason,
                                  body.include_usage);
        }
        outcome.completion_tokens += plans[i].tokens;
      } else {
        all_done = false;
        wake = std::min(wake, p.next_token_at);
      }
    }
    if (all_done) {
      // The final bytes wait for the gate (a strict ledger's commit).
      if (run.gate != nullptr && !co_await run.gate->before_final(prompt, outcome.completion_tokens,
                                                                  outcome.first_token_at)) {
        append_sse_data(out, openai_error_body(unrecorded_error()));
        if (began || co_await exchange.begin_stream(200, "text/event-stream", headers)) {
          co_await exchange.write_chunk(out);
          co_await exchange.end_stream();
        }
        outcome.status = 503;
        co_return outcome;
      }
      if (body.include_usage) {
        append_usage_chunk(out, meta, chat, Usage{prompt, outcome.completion_tokens});
      }
      out.append("data: [DONE]\n\n");
    }
    if (!out.empty() && !began) {
      run.mark_output();
      began = true;
      if (!co_await exchange.begin_stream(200, "text/event-stream", headers)) {
        for (auto& g : generations) g->cancel();
        outcome.client_gone = true;
        outcome.status = 499;
        co_return outcome;
      }
    }
    if (!out.empty() && !co_await exchange.write_chunk(out)) {
      for (auto& g : generations) g->cancel();
      outcome.client_gone = true;
      outcome.status = 499;
      co_return outcome;
    }
    if (all_done) break;
    // Wake at the next token, or when the engine signals a first token or an end.
    co_await waiter->wait_until(std::max(wake, clock.now()));
  }
  co_await exchange.end_stream();
  co_return outcome;
}

}  // namespace accord
