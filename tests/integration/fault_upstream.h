// FaultUpstream: an OpenAI-compatible upstream that misbehaves on purpose, for the upstream
// fault tests. It reads each request whole, then answers according to its mode; the mode can be
// changed while it runs (to see an ejected endpoint come back).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loopback_server.h"

namespace accord::testing {

enum class Fault {
  kHealthy,  // a proper completion (or stream): 5 prompt tokens (3 of them cached), 1 completion
  kResetBeforeAnswer,  // TCP reset once the request is read
  kResetMidStream,     // 200, two SSE chunks, then a reset
  kStall,              // never answers
  kStatus,             // `status` with an OpenAI error body (and retry-after if set)
  kMalformedJson,      // 200 with a body that is not JSON
  kNoDone,             // 200 SSE chunks, then the connection closes without [DONE]
  kShortBody,          // Content-Length: 1000, ten bytes, then close
  kEndlessStream,      // 200 SSE, a chunk every 20 ms until the connection is gone
};

class FaultUpstream final : public LoopbackServer {
 public:
  explicit FaultUpstream(Fault fault, int status = 500, std::string retry_after = "");
  ~FaultUpstream() override;
  void set(Fault fault) { fault_.store(fault); }
  int completions() const { return completions_.load(); }    // POSTs received
  int open_streams() const { return open_streams_.load(); }  // endless streams still sending
  // Healthy streams stop after their first chunk until release_streams(): a stream in flight for
  // as long as a test needs one.
  void hold_streams();
  void release_streams();

 private:
  void serve(int fd) override;
  void wait_while_held();

  std::atomic<Fault> fault_;
  int status_;
  std::string retry_after_;
  std::atomic<int> completions_{0};
  std::atomic<int> open_streams_{0};
  std::mutex hold_mu_;
  std::condition_variable released_;
  bool holding_ = false;  // guarded by hold_mu_
};

}  // namespace accord::testing
