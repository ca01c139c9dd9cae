#include "apis/translating_exchange.h"

#include "http/openai_error.h"

namespace accord {

TranslatingExchange::TranslatingExchange(HttpExchange& inner, std::string chat_body,
                                         AnswerTranslator& translator, std::string authorization)
    : inner_(inner),
      body_(std::move(chat_body)),
      translator_(translator),
      authorization_(std::move(authorization)) {
  body_.reserve(body_.size() + kJsonPadding);  // parsed in place
}

std::string_view TranslatingExchange::header(std::string_view name) const {
  if (!authorization_.empty() && name == "authorization") return authorization_;
  return inner_.header(name);
}

asio::awaitable<bool> TranslatingExchange::respond(int status, std::string_view content_type,
                                                   std::string_view body,
                                                   const HeaderLines& headers) {
  if (status == 200) {
    auto answer = translator_.whole(body);
    if (answer.ok()) {
      completed_ = true;
      co_await translator_.before_final();
      co_return co_await inner_.respond(200, content_type, answer.value(), headers);
    }
    const Error& e = answer.error();
    co_return co_await inner_.respond(http_status(e.kind), "application/json",
                                      translator_.error(http_status(e.kind), openai_error_body(e)),
                                      headers);
  }
  co_return co_await inner_.respond(status, "application/json", translator_.error(status, body),
                                    headers);
}

asio::awaitable<bool> TranslatingExchange::begin_stream(int status, std::string_view content_type,
                                                        const HeaderLines& headers) {
  co_return co_await inner_.begin_stream(status, content_type, headers);
}

void TranslatingExchange::hold_stream_head(int status, std::string_view content_type,
                                           const HeaderLines& headers) {
  inner_.hold_stream_head(status, content_type, headers);
}

bool TranslatingExchange::translate_events(std::string_view data) {
  if (!began_) {
    translator_.stream_begin(out_);
    began_ = true;
  }
  sse_.feed(data);
  SseEvent event;
  bool end = false;
  while (!ended_ && sse_.next(event)) {
    if (event.data == "[DONE]") {
      translator_.stream_end(out_);
      ended_ = completed_ = end = true;
    } else if (event.data.starts_with("{\"error\"")) {
      translator_.stream_fail(event.data, out_);
      ended_ = true;
    } else if (Status s = translator_.stream_chunk(event.data, out_); !s.ok()) {
      translator_.stream_fail(openai_error_body(s.error()), out_);
      ended_ = true;
    }
  }
  sse_.compact();
  return end;
}

asio::awaitable<bool> TranslatingExchange::write_chunk(std::string_view data) {
  out_.clear();
  if (translate_events(data)) {
    co_await translator_.before_final();
  }
  if (out_.empty()) co_return true;
  co_return co_await inner_.write_chunk(out_);
}

asio::awaitable<bool> TranslatingExchange::write_last_chunk(std::string_view data) {
  out_.clear();
  if (translate_events(data)) {
    co_await translator_.before_final();
  }
  co_return co_await inner_.write_last_chunk(out_);
}

asio::awaitable<bool> TranslatingExchange::end_stream() {
  co_return co_await inner_.end_stream();
}

}  // namespace accord
