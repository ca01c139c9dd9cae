// RecordingUpstream: a fake provider for the provider tests. It records every request it receives
// (method, target, headers, body) and answers in OpenAI's shape (the Responses API's at a path
// ending in /responses) or Anthropic's Messages shape, whole or as server-sent events as the
// request's "stream" asks; or, when told to, breaks its streams with an error event, or refuses
// with a status and an error body that repeats the credential headers it received (so a test can
// check that no key reaches a client). A request is recorded before it is answered, so once a
// client has its answer the record is there.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loopback_server.h"

namespace accord::testing {

enum class Dialect { kOpenAi, kAnthropic };

struct RecordedRequest {
  std::string method;                          // "POST"
  std::string target;                          // "/v1/messages"
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  // The value, or "" when the request had no such header.
  std::string header(const std::string& lower_name) const;
};

// What the Anthropic dialect answers (7 input tokens plus 4 from the cache, 3 output): the
// Message's JSON, or its stream's events concatenated as sent; anthropic_events() one by one.
std::string anthropic_answer_body(bool stream);
std::vector<std::string> anthropic_events();

// What the OpenAI dialect answers at /responses (a Response "resp_up_1": 9 input tokens, 2 of
// them cached, 4 output tokens): whole, or its stream's events concatenated as sent.
std::string responses_answer_body(bool stream);
std::vector<std::string> responses_events();

class RecordingUpstream final : public LoopbackServer {
 public:
  // OpenAI answers: 5 prompt tokens (3 cached), 1 completion token. Anthropic answers: 7 input
  // tokens plus 4 read from the cache, 3 output tokens ("hi there").
  explicit RecordingUpstream(Dialect dialect);
  ~RecordingUpstream() override;
  // Refuse every POST and DELETE with `status` (0: answer again), in the dialect's error shape.
  void refuse_with(int status) { refuse_status_.store(status); }
  // Streams send their first two events, then the dialect's error event, and end.
  void break_streams(bool on) { break_streams_.store(on); }
  std::vector<RecordedRequest> posts() const;  // POSTs and DELETEs, in the order received
  std::vector<RecordedRequest> gets() const;   // health checks

 private:
  void serve(int fd) override;
  std::string answer(const RecordedRequest& request) const;

  Dialect dialect_;
  std::atomic<int> refuse_status_{0};
  std::atomic<bool> break_streams_{false};
  mutable std::mutex mu_;
  std::vector<RecordedRequest> posts_;  // guarded by mu_
  std::vector<RecordedRequest> gets_;   // guarded by mu_
};

}  // namespace accord::testing
