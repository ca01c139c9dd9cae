#include "apis/messages_api.h"

#include "apis/error_fields.h"
#include "apis/translating_exchange.h"
#include "backend/backend.h"
#include "core/crypto.h"
#include "http/openai_error.h"
#include "translate/anthropic_error.h"
#include "translate/anthropic_request.h"
#include "translate/anthropic_response.h"
#include "translate/anthropic_stream.h"
#include "translate/native_only.h"

namespace accord {
namespace {

std::string new_message_id() {
  uint8_t bytes[12];
  random_bytes(bytes);
  return "msg_" + to_hex(bytes);
}

class MessagesTranslator final : public AnswerTranslator {
 public:
  MessagesTranslator(std::string id, std::string model)
      : id_(std::move(id)), model_(std::move(model)), stream_(id_, model_) {}

  Result<std::string> whole(std::string_view chat_json) override {
    return chat_to_message(chat_json, id_, model_);
  }
  std::string error(int status, std::string_view openai_error_json) override {
    return anthropic_error_from_openai(openai_error_json, status);
  }
  void stream_begin(std::string& out) override { stream_.begin(out); }
  Status stream_chunk(std::string_view chunk, std::string& out) override {
    return stream_.on_chunk(chunk, out);
  }
  void stream_end(std::string& out) override { stream_.finish(out); }
  void stream_fail(std::string_view openai_error_json, std::string& out) override {
    stream_.fail(openai_error_as(ErrorKind::kUpstreamError, openai_error_json), out);
  }

 private:
  std::string id_;
  std::string model_;
  MessagesStream stream_;
};

// The request as the pipeline reads it. One that only an Anthropic pool can take (extended
// thinking, a server tool, ...) is read for policy alone, and `untranslated` keeps the error that
// answers it anywhere else.
Result<MessagesRequest> read_for_pipeline(std::string_view body,
                                          std::optional<Error>& untranslated) {
  auto request = read_messages_request(body);
  if (request.ok() || !only_native_upstreams_take(request.error())) return request;
  auto native = read_native_only_request(body, "max_tokens");
  if (!native.ok()) return request;
  untranslated = request.take_error();
  MessagesRequest r;
  r.model = std::move(native.value().model);
  r.stream = native.value().stream;
  r.chat_body = std::move(native.value().chat_body);
  return r;
}

asio::awaitable<void> respond_anthropic_error(HttpExchange& exchange, const Error& error) {
  const HeaderLines headers{};
  co_await exchange.respond(http_status(error.kind), "application/json",
                            anthropic_error_body(error), headers);
}

}  // namespace

std::string anthropic_authorization(const HttpExchange& exchange) {
  if (!exchange.header("authorization").empty()) return {};
  const std::string_view key = exchange.header("x-api-key");
  if (key.empty()) return {};
  return "Bearer " + std::string(key);
}

void MessagesApi::add_routes(Router& router) {
  router.add("POST", "/v1/messages",
             [this](HttpExchange& exchange, std::string_view) { return create(exchange); });
}

asio::awaitable<void> MessagesApi::create(HttpExchange& exchange) {
  std::optional<Error> untranslated;
  auto request = read_for_pipeline(exchange.body(), untranslated);
  if (!request.ok()) {
    co_await respond_anthropic_error(exchange, request.error());
    co_return;
  }
  MessagesRequest& r = request.value();
  MessagesTranslator translator(new_message_id(), r.model);
  // An Anthropic pool gets the body as received; the pipeline reads its chat translation.
  NativeRelay relay;
  relay.body = exchange.body();
  relay.client = &exchange;
  const auto model = find_model_string(relay.body);
  if (model) {
    relay.model_offset = model->offset;
    relay.model_length = model->erase;
  } else if (untranslated) {
    co_await respond_anthropic_error(exchange, *untranslated);
    co_return;
  }
  if (untranslated) relay.untranslated = &*untranslated;
  TranslatingExchange translated(exchange, std::move(r.chat_body), translator,
                                 anthropic_authorization(exchange));
  co_await gateway_.serve(translated, ApiKind::kChat, model ? &relay : nullptr);
}

}  // namespace accord
