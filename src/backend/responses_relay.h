// ResponsesRelayAnswers: reads the answers of an upstream that serves the Responses API itself, for
// a /v1/responses request relayed to it as received (upstream_backend.h; the pool's native_apis).
// The forwarder (upstream/answer_translator.h) writes the answers to the client unchanged; this
// reads them for the usage (as Chat Completions', which the forwarder bills), the stream's end
// (response.completed, .incomplete or .failed), and the final Response, which the API's keeper
// stores before the answer's last bytes go out. Errors accord makes are in OpenAI's shape: a body,
// or the Responses stream's `error` event. One per request; not thread-safe.
#pragma once

#include <string>

#include "backend/backend.h"
#include "upstream/answer_translator.h"

namespace accord {

class ResponsesRelayAnswers final : public AnswerTranslator {
 public:
  // `keeper` may be null. REQUIRES: `keeper` and `pool` outlive it.
  ResponsesRelayAnswers(RelayKeeper* keeper, const Pool& pool) : keeper_(keeper), pool_(pool) {}

  Result<std::string> whole(std::string_view body) override;
  Error refusal(std::string_view body, int status) override;
  Status stream_event(std::string_view data, std::string& out) override;
  std::string native_error_body(const Error& error) override;
  std::string native_error_event(const Error& error) override;
  asio::awaitable<void> before_final() override;

 private:
  RelayKeeper* keeper_;
  const Pool& pool_;
  std::string response_json_;  // the final Response, once read
  int64_t last_sequence_number_ = -1;
};

}  // namespace accord
