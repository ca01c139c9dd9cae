#include "upstream/forward_stream.h"

#include <fmt/format.h>

#include "core/find_bytes.h"
#include "http/openai_error.h"
#include "http/sse.h"
#include "openai/response_usage.h"

namespace accord::forward_detail {
namespace {

// Whether an event's data may carry a usage block: `usage"` (its first byte, a letter, is rarer
// in JSON than a quote, which find_bytes() then filters on).
bool mentions_usage(std::string_view data) {
  return find_bytes(data, "usage\"") != std::string_view::npos;
}

// The next piece of a translated stream: the upstream's events, each translated into `sse`'s
// input as chat.completion.chunk events. Errors: the read's, or the translator's (an error event).
asio::awaitable<Result<bool>> read_translated(ClientResponse& response,
                                              AnswerTranslator& translator, SseParser& upstream,
                                              SseParser& sse) {
  auto more = co_await response.read_some(upstream.input());
  if (!more.ok()) co_return more.take_error();
  SseEvent event;
  while (upstream.next(event)) {
    if (Status s = translator.stream_event(event.data, sse.input()); !s.ok()) {
      co_return s.take_error();
    }
  }
  upstream.compact();
  co_return more.value();
}

// Writes a relayed piece of a stream, with the stream's end when `last`. False when the stream is
// over: the client has gone (`outcome` says so; dropping the response closes the upstream
// connection) or this was its end (the endpoint's success recorded).
asio::awaitable<bool> write_relayed(EndpointSet& endpoints, int e, HttpExchange& exchange,
                                    std::string_view relayed, bool last, RunOutcome& outcome) {
  bool written = true;
  if (last) {
    written = co_await exchange.write_last_chunk(relayed);
  } else if (!relayed.empty()) {
    written = co_await exchange.write_chunk(relayed);
  }
  if (!written) {
    outcome.client_gone = true;
    outcome.status = 499;
    co_return false;
  }
  if (last) endpoints.record_success(e);
  co_return !last;
}

// Ends a natively relayed stream early with `err` as the upstream's API writes an error event.
asio::awaitable<void> end_native_stream(HttpExchange& exchange, const ForwardRequest& request,
                                        const Error& err, std::string_view before,
                                        RunOutcome& outcome) {
  std::string out(before);
  out.append(request.translator->native_error_event(err));
  co_await exchange.write_chunk(out);
  co_await exchange.end_stream();
  outcome.status = http_status(err.kind);
}

// The usage chunk among a translation's chat.completion.chunk events, into `outcome`.
void read_translated_usage(std::string_view chat_events, RunOutcome& outcome) {
  SseParser events;
  events.feed(chat_events);
  SseEvent event;
  while (events.next(event)) {
    if (!mentions_usage(event.data)) continue;
    if (auto usage = find_usage(event.data)) {
      outcome.prompt_tokens = usage->prompt_tokens;
      outcome.completion_tokens = usage->completion_tokens;
      outcome.cached_prompt_tokens = usage->cached_tokens;
      outcome.usage_known = true;
    }
  }
}

// The part of `relayed` before the stream's last event (which begins at `last_from`, in it).
std::string_view relayed_before(std::string_view relayed, const char* last_from) {
  if (last_from < relayed.data() || last_from > relayed.data() + relayed.size()) return relayed;
  return relayed.substr(0, static_cast<size_t>(last_from - relayed.data()));
}

}  // namespace

// Relays a stream event by event as it arrives (translated first, for a translating upstream);
// keeps the usage chunk for accord unless the client asked for it.
asio::awaitable<void> relay_stream(EndpointSet& endpoints, int e, ClientResponse& response,
                                   HttpExchange& exchange, const ForwardRequest& request,
                                   const HeaderLines& headers, const Clock& clock,
                                   const RunControl& control, RunOutcome& outcome) {
  control.mark_output();
  exchange.hold_stream_head(200, "text/event-stream", headers);  // sent with the first events
  SseParser sse;
  SseParser upstream;  // a translating upstream's own events
  std::string out;     // the events to relay, once one of them is held back
  bool done = false;
  for (;;) {
    // (No co_await inside a conditional expression: GCC 12 miscompiles those; ASan caught it.)
    std::optional<Result<bool>> read;
    if (request.translator == nullptr) {
      read.emplace(co_await response.read_some(sse.input()));
    } else {
      read.emplace(co_await read_translated(response, *request.translator, upstream, sse));
    }
    Result<bool>& more = *read;
    if (!more.ok()) {
      outcome.stopped = control.stop_requested();
      // An error event that blames the request is not the endpoint's failure.
      if (!outcome.stopped && more.error().source != ErrorSource::kClient) {
        endpoints.record_failure(e);
      }
      const Error err = outcome.stopped ? preempted_error() : more.take_error();
      out.clear();
      append_sse_data(out, openai_error_body(err));
      co_await exchange.write_chunk(out);
      co_await exchange.end_stream();
      outcome.status = http_status(err.kind);
      co_return;
    }
    // One search of what arrived for a usage block, rather than one per event.
    const bool may_carry_usage = mentions_usage(sse.pending());
    // What to relay is a view of the parser's buffer while the events are consecutive, and a
    // copy once one is held back.
    const char* relay_from = nullptr;
    size_t relay_size = 0;
    bool copied = false;
    SseEvent event;
    while (sse.next(event)) {
      bool relay = true;
      if (event.data == "[DONE]") {
        done = true;
      } else {
        if (outcome.first_token_at == 0) outcome.first_token_at = clock.now();
        if (may_carry_usage && mentions_usage(event.data)) {
          if (auto usage = find_usage(event.data)) {
            outcome.prompt_tokens = usage->prompt_tokens;
            outcome.completion_tokens = usage->completion_tokens;
            outcome.cached_prompt_tokens = usage->cached_tokens;
            outcome.usage_known = true;
            relay = !usage->choices_empty ||
                    request.body->include_usage;  // else ours, not the client's
          }
        }
      }
      if (!relay && !copied) {
        out.assign(relay_from == nullptr ? "" : relay_from, relay_size);
        copied = true;
      } else if (relay && copied) {
        out.append(event.raw);
      } else if (relay) {
        if (relay_from == nullptr) relay_from = event.raw.data();
        relay_size = static_cast<size_t>(event.raw.data() + event.raw.size() - relay_from);
      }
    }
    const std::string_view relayed =
        copied ? std::string_view(out) : std::string_view(relay_from, relay_size);
    // The stream's end waits for the gate (a strict ledger's commit).
    if (done && control.gate != nullptr &&
        !co_await control.gate->before_final(outcome.prompt_tokens, outcome.completion_tokens,
                                             outcome.first_token_at)) {
      if (!copied) out.assign(relayed);
      const size_t done_at = out.rfind("data: [DONE]");
      if (done_at != std::string::npos) out.resize(done_at);
      append_sse_data(
          out, openai_error_body(Error::internal(
                   ErrorKind::kUnavailable, "The usage ledger could not record this request.")));
      co_await exchange.write_chunk(out);
      co_await exchange.end_stream();
      outcome.status = 503;
      co_return;
    }
    // The whole answer: end the stream in this write.
    const bool last = done && !more.value();
    if (!co_await write_relayed(endpoints, e, exchange, relayed, last, outcome)) co_return;
    sse.compact();  // after the write: `relayed` may be a view of the parser's buffer
    if (!more.value()) break;
  }
  if (!done) {
    // The upstream ended the stream without [DONE]: the answer may be cut short.
    endpoints.record_failure(e);
    const Error err = Error::upstream(
        ErrorKind::kUpstreamError,
        fmt::format("The upstream {} ended the stream early.", endpoints.target(e).host_header),
        false);
    out.clear();
    append_sse_data(out, openai_error_body(err));
    co_await exchange.write_chunk(out);
    outcome.status = 502;
  } else {
    endpoints.record_success(e);
  }
  co_await exchange.end_stream();
}

// Relays a stream in the upstream's own API (ForwardRequest::relay_answers) event by event as it
// arrives, byte for byte; the translator reads each event for the usage and the stream's end (its
// translation reaching [DONE]). An upstream's error event is relayed as it is and ends the stream.
asio::awaitable<void> relay_native_stream(EndpointSet& endpoints, int e, ClientResponse& response,
                                          HttpExchange& exchange, const ForwardRequest& request,
                                          const HeaderLines& headers, const Clock& clock,
                                          const RunControl& control, RunOutcome& outcome) {
  control.mark_output();
  exchange.hold_stream_head(200, "text/event-stream", headers);  // sent with the first events
  AnswerTranslator& reader = *request.translator;
  SseParser sse;
  std::string chat;  // the translation of the event at hand: read, never sent
  bool done = false;
  const char* last_from = nullptr;  // where the stream's last event begins, once read
  bool finished = false;
  for (;;) {
    auto more = co_await response.read_some(sse.input());
    if (!more.ok()) {
      outcome.stopped = control.stop_requested();
      if (!outcome.stopped && more.error().source != ErrorSource::kClient) {
        endpoints.record_failure(e);
      }
      co_await end_native_stream(exchange, request,
                                 outcome.stopped ? preempted_error() : more.error(), {}, outcome);
      co_return;
    }
    const char* relay_from = nullptr;
    size_t relay_size = 0;
    std::optional<Error> upstream_error;
    SseEvent event;
    while (sse.next(event)) {
      if (done || upstream_error) continue;  // after the end: not relayed
      if (relay_from == nullptr) relay_from = event.raw.data();
      relay_size = static_cast<size_t>(event.raw.data() + event.raw.size() - relay_from);
      if (outcome.first_token_at == 0) outcome.first_token_at = clock.now();
      chat.clear();
      if (Status s = reader.stream_event(event.data, chat); !s.ok()) {
        upstream_error = s.take_error();
        continue;
      }
      if (chat.find("data: [DONE]") != std::string::npos) {
        done = true;
        last_from = event.raw.data();
        read_translated_usage(chat, outcome);
      }
    }
    const std::string_view relayed(relay_from == nullptr ? "" : relay_from, relay_size);
    if (upstream_error) {
      if (upstream_error->source != ErrorSource::kClient) endpoints.record_failure(e);
      co_await exchange.write_chunk(relayed);
      co_await exchange.end_stream();
      outcome.status = http_status(upstream_error->kind);
      co_return;
    }
    // The stream's end waits for the gate (a strict ledger's commit), then for what the API
    // keeps of it.
    const bool finishing = done && !finished;  // the gate and the keeper are asked once
    finished = done;
    if (finishing && control.gate != nullptr &&
        !co_await control.gate->before_final(outcome.prompt_tokens, outcome.completion_tokens,
                                             outcome.first_token_at)) {
      const std::string before(relayed_before(relayed, last_from));
      co_await end_native_stream(exchange, request,
                                 Error::internal(ErrorKind::kUnavailable,
                                                 "The usage ledger could not record this request."),
                                 before, outcome);
      co_return;
    }
    if (finishing) {
      co_await reader.before_final();
    }
    const bool last = done && !more.value();
    if (!co_await write_relayed(endpoints, e, exchange, relayed, last, outcome)) co_return;
    sse.compact();  // after the write: `relayed` is a view of the parser's buffer
    if (!more.value()) break;
  }
  if (!done) {
    endpoints.record_failure(e);
    co_await end_native_stream(
        exchange, request,
        Error::upstream(
            ErrorKind::kUpstreamError,
            fmt::format("The upstream {} ended the stream early.", endpoints.target(e).host_header),
            false),
        {}, outcome);
    outcome.status = 502;
    co_return;
  }
  endpoints.record_success(e);
  co_await exchange.end_stream();
}

}  // namespace accord::forward_detail
