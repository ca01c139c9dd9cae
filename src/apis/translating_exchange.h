// TranslatingExchange: serves another API (the Responses API, Anthropic's Messages API) through
// the Chat Completions pipeline. It stands in for the client's exchange: the pipeline reads the
// request as Chat Completions (the body a translator made), and everything it writes — a whole
// completion, stream chunks, an error — is translated on its way to the client. So entitlements,
// limits, the scheduler, the backends and the ledger are the ones chat uses, unchanged.
// Threads: as HttpExchange, on the connection's loop only.
#pragma once

#include <string>

#include "core/result.h"
#include "http/exchange.h"
#include "http/sse.h"

namespace accord {

// One API's side of the translation, for one request.
class AnswerTranslator {
 public:
  virtual ~AnswerTranslator() = default;
  // A whole Chat Completion (status 200) → the API's answer; an error when it is not one.
  virtual Result<std::string> whole(std::string_view chat_json) = 0;
  // An error the pipeline or the backend wrote in OpenAI's shape → the API's own error body.
  virtual std::string error(int status, std::string_view openai_error_json) = 0;
  // A stream: what goes before the first chunk, each chunk's data, the end ([DONE]), and an
  // error event that ends it early. Each appends whole SSE events to `out`.
  virtual void stream_begin(std::string& out) = 0;
  virtual Status stream_chunk(std::string_view chat_chunk_json, std::string& out) = 0;
  virtual void stream_end(std::string& out) = 0;
  virtual void stream_fail(std::string_view openai_error_json, std::string& out) = 0;
  // Called once the answer is whole and before its last bytes are written (a store keeps it
  // here, so a client that chains on it at once finds it). Default: nothing.
  virtual asio::awaitable<void> before_final() { co_return; }
};

class TranslatingExchange final : public HttpExchange {
 public:
  // `chat_body` is what the pipeline reads; `authorization`, when not empty, stands in for the
  // client's Authorization header (Anthropic's x-api-key). REQUIRES: `inner` and `translator`
  // outlive this exchange.
  TranslatingExchange(HttpExchange& inner, std::string chat_body, AnswerTranslator& translator,
                      std::string authorization = {});

  std::string_view method() const override { return inner_.method(); }
  std::string_view target() const override { return inner_.target(); }
  std::string_view header(std::string_view name) const override;
  std::string& body() override { return body_; }
  std::string_view peer_address() const override { return inner_.peer_address(); }

  asio::awaitable<bool> respond(int status, std::string_view content_type, std::string_view body,
                                const HeaderLines& headers) override;
  asio::awaitable<bool> begin_stream(int status, std::string_view content_type,
                                     const HeaderLines& headers) override;
  void hold_stream_head(int status, std::string_view content_type,
                        const HeaderLines& headers) override;
  asio::awaitable<bool> write_chunk(std::string_view data) override;
  asio::awaitable<bool> write_last_chunk(std::string_view data) override;
  asio::awaitable<bool> end_stream() override;
  bool responded() const override { return inner_.responded(); }
  void close_after() override { inner_.close_after(); }
  std::unique_ptr<ConnectionMemo>* memo() override { return inner_.memo(); }

  // The answer reached its end whole (a completion, or a stream through [DONE]).
  bool completed() const { return completed_; }

 private:
  // Translates the events in `data` into out_; true once the stream's end was among them.
  bool translate_events(std::string_view data);

  HttpExchange& inner_;
  std::string body_;
  AnswerTranslator& translator_;
  std::string authorization_;
  SseParser sse_;
  std::string out_;
  bool began_ = false;
  bool ended_ = false;  // [DONE] or an error event was translated
  bool completed_ = false;
};

}  // namespace accord
