// AccessLog: one JSON line per request that reached authentication (request id, party, key,
// model, class, status, tokens, queue time, TTFT, total time, upstream), to stderr or a file.
// The request path formats its line and appends it to a buffer under a short lock; a writer
// thread writes the buffer out every 100 ms (or sooner when it grows large), so a request never
// waits on the disk. A destination that stops taking lines costs at most 64 MiB of buffer; lines
// beyond are dropped and the count written once it moves again.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"
#include "gateway/request_context.h"

namespace accord {

class AccessLog final : public CompletionObserver {
 public:
  // `destination`: "stderr" or a file path (appended to). Fails if the file cannot be opened.
  static Result<std::unique_ptr<AccessLog>> open(const std::string& destination);
  ~AccessLog() override;

  void on_complete(const RequestContext& ctx) override;
  // Writes out what is buffered (tests; shutdown does it too).
  void flush();

  // The line for one request, without the newline.
  static void format(const RequestContext& ctx, std::string& out);

 private:
  AccessLog(FILE* file, bool owned);
  void run();

  FILE* file_;
  bool owned_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::string buffer_;    // guarded by mu_
  uint64_t dropped_ = 0;  // guarded by mu_: lines dropped while the destination was stuck
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace accord
