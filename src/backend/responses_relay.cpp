#include "backend/responses_relay.h"

#include <fmt/format.h>

#include "core/json_writer.h"
#include "http/openai_error.h"
#include "translate/responses_error.h"
#include "translate/responses_upstream.h"

namespace accord {

Result<std::string> ResponsesRelayAnswers::whole(std::string_view body) {
  auto usage = response_usage_as_chat(body);
  if (usage.ok() && keeper_ != nullptr) response_json_ = body;
  return usage;
}

Error ResponsesRelayAnswers::refusal(std::string_view body, int status) {
  Error e =
      Error::upstream(status == 429   ? ErrorKind::kCapacityExceeded
                      : status >= 500 ? ErrorKind::kUpstreamError
                                      : ErrorKind::kInvalidRequest,
                      fmt::format("The upstream answered {}: {}", status, body.substr(0, 512)),
                      status == 429 || status >= 500);
  if (status < 500 && status != 429) e.source = ErrorSource::kClient;  // it refused the request
  return e;
}

Status ResponsesRelayAnswers::stream_event(std::string_view data, std::string& out) {
  auto event = read_relayed_response_event(data);
  if (!event.ok()) return event.take_error();
  RelayedResponseEvent& e = event.value();
  if (e.sequence_number >= 0) last_sequence_number_ = e.sequence_number;
  if (!e.final) return Status();
  if (keeper_ != nullptr) response_json_ = std::move(e.response_json);
  if (e.usage_chat_json != "{}") {
    out.append("data: ").append(e.usage_chat_json).append("\n\n");
  }
  out.append("data: [DONE]\n\n");
  return Status();
}

std::string ResponsesRelayAnswers::native_error_body(const Error& error) {
  return openai_error_body(error);
}

// The Responses stream's error event, numbered after the last event relayed.
std::string ResponsesRelayAnswers::native_error_event(const Error& error) {
  const ResponseError r = to_response_error(error);
  std::string out = "event: error\ndata: ";
  JsonWriter w(out);
  w.begin_object().field("type", "error").field("sequence_number", last_sequence_number_ + 1);
  write_error_event_members(w, to_response_error(error));
  w.end_object();
  out.append("\n\n");
  return out;
}

asio::awaitable<void> ResponsesRelayAnswers::before_final() {
  if (keeper_ == nullptr || response_json_.empty()) co_return;
  co_await keeper_->keep(response_json_, pool_);
}

}  // namespace accord
