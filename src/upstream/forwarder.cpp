#include "upstream/forwarder.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/json_writer.h"
#include "http/openai_error.h"
#include "openai/response_usage.h"
#include "upstream/forward_stream.h"
#include "upstream/provider_http.h"

namespace accord {

using forward_detail::relay_native_stream;
using forward_detail::relay_stream;

namespace {

constexpr size_t kMaxResponseBytes = size_t{256} * 1024 * 1024;
constexpr size_t kMaxErrorBodyBytes = size_t{1024} * 1024;

// 529: Anthropic's "overloaded".
bool retryable_status(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504 ||
         status == 529;
}

// The request line and headers for endpoint `e`: the provider's path, and the endpoint's key and
// version headers as the EndpointSet holds them.
std::string build_head(const EndpointSet& endpoints, int e, const ForwardRequest& request,
                       size_t body_size) {
  // Azure's deployment: the model's name on the pool.
  const std::string_view deployment = request.upstream_model.empty()
                                          ? std::string_view(request.model->name)
                                          : request.upstream_model;
  std::string head;
  head.reserve(320);
  head.append("POST ");
  append_call_target(head, *request.pool, endpoints.endpoint(e), request.api_path, deployment);
  head.append(" HTTP/1.1\r\nHost: ");
  head.append(endpoints.target(e).host_header);
  head.append("\r\nContent-Type: application/json\r\nAccept: ");
  head.append(request.body->stream ? "text/event-stream" : "application/json");
  head.append("\r\nContent-Length: ");
  head.append(std::to_string(body_size));
  head.append("\r\nX-Request-Id: ");
  head.append(request.request_id);
  if (!request.traceparent.empty()) {
    head.append("\r\ntraceparent: ");
    head.append(request.traceparent);
    if (!request.tracestate.empty()) {
      head.append("\r\ntracestate: ");
      head.append(request.tracestate);
    }
  }
  head.append(endpoints.request_headers(e));
  head.append(request.extra_headers);
  head.append("\r\n\r\n");
  return head;
}

// An upstream's non-2xx answer, for the client: its own OpenAI error body when it has one.
Error upstream_status_error(int status, const std::string& body, const ClientTarget& target) {
  Error e = Error::upstream(status == 429   ? ErrorKind::kCapacityExceeded
                            : status >= 500 ? ErrorKind::kUpstreamError
                                            : ErrorKind::kInvalidRequest,
                            fmt::format("The upstream {} answered {}: {}", target.host_header,
                                        status, body.substr(0, 512)),
                            retryable_status(status));
  if (status < 500 && status != 429) e.source = ErrorSource::kClient;  // it refused the request
  return e;
}

// While it lives, a stop closes `response`'s connection (on the request's loop, where the
// StopSignal runs its callback), so a pending read ends at once.
class CancelOnStop {
 public:
  CancelOnStop(const RunControl& r, ClientResponse& response) : stop_(r.stop) {
    if (stop_ != nullptr) stop_->on_stop = [&response] { response.cancel(); };
  }
  ~CancelOnStop() {
    if (stop_ != nullptr) stop_->on_stop = nullptr;
  }
  CancelOnStop(const CancelOnStop&) = delete;
  CancelOnStop& operator=(const CancelOnStop&) = delete;

 private:
  StopSignal* stop_;
};

// A non-2xx answer. Returns the error to retry with when `may_retry` and another endpoint is
// left, or to hand back when `hand_back` (another pool may serve it; nothing was written);
// otherwise relays the upstream's own OpenAI error (a 400 from vLLM
// names the problem) when it is one, or a synthesized one, to the client. A translating
// upstream's error is translated. Whatever the body says, the endpoint's key is not repeated.
asio::awaitable<std::optional<Error>> answer_upstream_error(
    EndpointSet& endpoints, int e, uint64_t tried, bool may_retry, bool hand_back,
    ClientResponse& response, HttpExchange& exchange, const ForwardRequest& request,
    const HeaderLines& headers, const RunControl& control, RunOutcome& outcome) {
  const ClientTarget& target = endpoints.target(e);
  const int status = response.status();
  std::string error_body;
  auto read = co_await response.read_all(error_body, kMaxErrorBodyBytes);
  endpoints.redact_key(e, error_body);
  if (status >= 500) {
    endpoints.record_failure(e);
  } else {
    endpoints.record_success(e);
  }
  const auto refusal = [&] {
    return request.translator != nullptr ? request.translator->refusal(error_body, status)
                                         : upstream_status_error(status, error_body, target);
  };
  if ((may_retry && endpoints.any_healthy_untried(tried)) || hand_back) co_return refusal();
  outcome.status = status;
  control.mark_output();
  HeaderLines relay = headers;
  if (const auto retry_after = response.header("retry-after"); !retry_after.empty()) {
    relay.add("retry-after", retry_after);
  }
  if (request.translator != nullptr && !request.relay_answers) {
    const Error err = refusal();
    outcome.status = http_status(err.kind);
    if (!co_await respond_error(exchange, err, relay)) outcome.client_gone = true;
  } else if (read.ok() && is_json_object(error_body)) {
    if (!co_await exchange.respond(status, "application/json", error_body, relay)) {
      outcome.client_gone = true;
    }
  } else {
    const Error err = upstream_status_error(status, error_body, target);
    outcome.status = status >= 500 ? 502 : status;
    const std::string error_json =
        request.relay_answers ? request.translator->native_error_body(err) : openai_error_body(err);
    if (!co_await exchange.respond(outcome.status, "application/json", error_json, relay)) {
      outcome.client_gone = true;
    }
  }
  co_return std::nullopt;
}

// The body as received, but for the edits the upstream needs (the model's name on the pool, a
// stream's request for usage): `received` itself when there are none, else `edited`.
std::string_view edited_body(const std::string& received, const ForwardRequest& request,
                             std::string& edited) {
  const RequestBody& body = *request.body;
  std::vector<const BodyEdit*> edits;
  BodyEdit rename;
  if (!request.upstream_model.empty()) {
    rename.offset = body.model_offset;
    rename.erase = body.model_length;
    append_json_string(rename.insert, request.upstream_model);
    edits.push_back(&rename);
  }
  if (body.usage_edit) edits.push_back(&*body.usage_edit);
  if (edits.empty()) return received;
  std::sort(edits.begin(), edits.end(),
            [](const BodyEdit* x, const BodyEdit* y) { return x->offset < y->offset; });
  edited = apply_edits(received, edits);
  return edited;
}

}  // namespace

asio::awaitable<RunOutcome> forward_to_upstream(EndpointSet& endpoints, HttpClientPool& client,
                                                HttpExchange& exchange,
                                                const ForwardRequest& request,
                                                const HeaderLines& headers, const Clock& clock,
                                                const RunControl& control) {
  RunOutcome outcome;
  const RequestBody& body = *request.body;
  std::string edited;
  const std::string_view payload = request.translator != nullptr
                                       ? request.translated_body
                                       : edited_body(exchange.body(), request, edited);

  const Pool& pool = *request.pool;
  const ClientTimeouts timeouts{pool.timeouts.connect_ms, pool.timeouts.first_byte_ms,
                                pool.timeouts.idle_ms};
  const MonoNanos queue_deadline = clock.now() + pool.max_queue_ms * kNanosPerMilli;
  uint64_t tried = 0;
  std::optional<Error> last_error;
  for (int attempt = 0; attempt <= pool.max_retries; ++attempt) {
    if (control.stop_requested()) {
      outcome.stopped = true;
      co_return outcome;
    }
    int e = endpoints.try_acquire(tried);  // the usual case: no waiting, no coroutine frame
    if (e < 0) {
      auto slot = co_await endpoints.acquire(tried, queue_deadline);
      if (!slot.ok()) {
        outcome.error = last_error ? *last_error : slot.error();
        co_return outcome;
      }
      e = slot.value();
    }
    outcome.endpoint = e;
    outcome.attempts = attempt + 1;
    tried |= e < 64 ? uint64_t{1} << e : 0;
    struct Release {
      EndpointSet& set;
      int endpoint;
      ~Release() { set.release(endpoint); }
    } release{endpoints, e};
    const ClientTarget& target = endpoints.target(e);
    const std::string head = build_head(endpoints, e, request, payload.size());
    auto sent = co_await client.send(target, head, payload, timeouts);
    if (!sent.ok()) {
      endpoints.record_failure(e);
      last_error = sent.take_error();
      if (last_error->retryable) continue;
      outcome.error = last_error;
      co_return outcome;
    }
    ClientResponse& response = sent.value();
    const CancelOnStop cancel_on_stop(control, response);
    const int status = response.status();
    if (quota_spent(pool.provider, status, response)) outcome.rate_limited = true;
    if (status < 200 || status >= 300) {
      // Retry elsewhere if there is an elsewhere; otherwise the client gets the upstream's own
      // answer (a 503 or 429 with its retry-after), not a synthesized one.
      const bool may_retry = retryable_status(status) && attempt < pool.max_retries;
      const bool hand_back = retryable_status(status) && control.may_fall_back;
      auto retry =
          co_await answer_upstream_error(endpoints, e, tried, may_retry, hand_back, response,
                                         exchange, request, headers, control, outcome);
      if (retry) {
        last_error = std::move(retry);
        if (may_retry && endpoints.any_healthy_untried(tried)) continue;
        outcome.error = std::move(last_error);  // another pool serves it
        co_return outcome;
      }
      co_return outcome;
    }

    if (!body.stream) {
      std::string& answer = response.buffer();
      auto read = co_await response.read_all(answer, kMaxResponseBytes);
      if (!read.ok() && control.stop_requested()) {
        outcome.stopped = true;
        co_return outcome;
      }
      if (!read.ok()) {
        endpoints.record_failure(e);
        last_error = read.take_error();
        last_error->retryable = true;  // nothing has reached the client yet
        continue;
      }
      std::string chat;  // a translated answer (relayed: only read for its usage)
      if (request.translator != nullptr) {
        auto translated = request.translator->whole(answer);
        if (!translated.ok()) {
          endpoints.record_failure(e);
          last_error = translated.take_error();
          last_error->retryable = true;  // nothing has reached the client yet
          continue;
        }
        if (request.relay_answers) {
          chat = std::move(translated.value());
        } else {
          answer = std::move(translated.value());
        }
      }
      const auto usage = find_usage(request.relay_answers ? chat : answer);
      if (!usage && !is_json_object(answer)) {
        endpoints.record_failure(e);
        last_error = Error::upstream(
            ErrorKind::kUpstreamError,
            fmt::format("The upstream {} answered with invalid JSON.", target.host_header), true);
        continue;
      }
      endpoints.record_success(e);
      outcome.first_token_at = clock.now();
      if (usage) {
        outcome.prompt_tokens = usage->prompt_tokens;
        outcome.completion_tokens = usage->completion_tokens;
        outcome.cached_prompt_tokens = usage->cached_tokens;
        outcome.usage_known = true;
      }
      if (control.gate != nullptr &&
          !co_await control.gate->before_final(outcome.prompt_tokens, outcome.completion_tokens,
                                               outcome.first_token_at)) {
        outcome.error = Error::internal(ErrorKind::kUnavailable,
                                        "The usage ledger could not record this request, so its "
                                        "answer is withheld rather than served unbilled.");
        co_return outcome;
      }
      if (request.relay_answers) {
        co_await request.translator->before_final();
      }
      control.mark_output();
      if (!co_await exchange.respond(200, "application/json", answer, headers)) {
        outcome.client_gone = true;
      }
      co_return outcome;
    }

    // A stream: relayed by its own coroutine, whose frame a whole answer does not need.
    if (request.relay_answers) {
      co_await relay_native_stream(endpoints, e, response, exchange, request, headers, clock,
                                   control, outcome);
      co_return outcome;
    }
    co_await relay_stream(endpoints, e, response, exchange, request, headers, clock, control,
                          outcome);
    co_return outcome;
  }
  outcome.error = last_error
                      ? *last_error
                      : Error::upstream(ErrorKind::kUpstreamError, "No upstream answered.", false);
  co_return outcome;
}

}  // namespace accord
