#include "metrics/access_log.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

#include "core/json_writer.h"
#include "core/rfc3339.h"
#include "http/openai_error.h"

namespace accord {
namespace {

constexpr size_t kFlushBytes = size_t{256} * 1024;
// If the destination stops taking lines (a full disk, a stderr pipe nobody reads), lines beyond
// this are dropped and counted rather than held in memory without bound.
constexpr size_t kMaxBufferedBytes = size_t{64} * 1024 * 1024;

// Milliseconds to the microsecond, as the shortest decimal ("1.5", "100", "0.013"), or null when
// the moment never came; written from integers rather than through a double's formatting.
void millis(JsonWriter& w, std::string_view key, MonoNanos from, MonoNanos to) {
  w.key(key);
  if (from == 0 || to == 0 || to < from) {
    w.null();
    return;
  }
  const int64_t micros = (to - from + 500) / 1000;
  char text[32];
  char* end = std::to_chars(text, text + 24, micros / 1000).ptr;
  if (int64_t fraction = micros % 1000; fraction != 0) {
    *end++ = '.';
    for (int64_t unit = 100; unit > 0 && fraction != 0; unit /= 10) {
      *end++ = static_cast<char>('0' + fraction / unit);
      fraction %= unit;
    }
  }
  w.raw(std::string_view(text, static_cast<size_t>(end - text)));
}

}  // namespace

Result<std::unique_ptr<AccessLog>> AccessLog::open(const std::string& destination) {
  if (destination == "stderr") return std::unique_ptr<AccessLog>(new AccessLog(stderr, false));
  FILE* f = std::fopen(destination.c_str(), "a");
  if (f == nullptr) {
    return Error::internal(ErrorKind::kInternal, fmt::format("cannot open the access log {}: {}",
                                                             destination, std::strerror(errno)));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(f, true));
}

AccessLog::AccessLog(FILE* file, bool owned) : file_(file), owned_(owned) {
  writer_ = std::thread([this] { run(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
  if (owned_) std::fclose(file_);
}

void AccessLog::format(const RequestContext& ctx, std::string& out) {
  const Agreement& a = *ctx.snapshot->agreement;
  const int status = ctx.recorded_status();
  JsonWriter w(out);
  w.begin_object();
  w.field("ts", format_rfc3339(ctx.wall_arrived_at));
  w.field("request_id", ctx.request_id.view());
  auto name_or_null = [&](std::string_view key, bool present, std::string_view value) {
    w.key(key);
    if (present) {
      w.value(value);
    } else {
      w.null();
    }
  };
  name_or_null("party", ctx.key != nullptr && ctx.party != kNone,
               ctx.party != kNone ? std::string_view(a.parties[ctx.party].name) : "");
  name_or_null("key_id", ctx.key != nullptr,
               ctx.key != nullptr ? std::string_view(ctx.key->id) : "");
  name_or_null("model", ctx.model != kNone,
               ctx.model != kNone ? std::string_view(a.models[ctx.model].name) : "");
  name_or_null("pool", ctx.pool != kNone && ctx.model != kNone,
               ctx.pool != kNone ? std::string_view(a.pools[ctx.pool].name) : "");
  name_or_null("class", ctx.model != kNone, to_string(ctx.sched_class));
  w.field("status", status);
  name_or_null("error", ctx.error.has_value(),
               ctx.error ? openai_error_code(ctx.error->kind) : std::string_view());
  w.field("prompt_tokens", ctx.prompt_tokens);
  w.field("cached_prompt_tokens", ctx.cached_prompt_tokens);
  w.field("completion_tokens", ctx.completion_tokens);
  millis(w, "queue_ms", ctx.arrived_at, ctx.dispatched_at);
  millis(w, "ttft_ms", ctx.arrived_at, ctx.first_token_at);
  millis(w, "total_ms", ctx.arrived_at, ctx.finished_at);
  const bool upstream = ctx.pool != kNone && ctx.endpoint >= 0 &&
                        static_cast<size_t>(ctx.endpoint) < a.pools[ctx.pool].upstreams.size();
  name_or_null("upstream", ctx.pool != kNone && ctx.model != kNone,
               upstream ? std::string_view(
                              a.pools[ctx.pool].upstreams[static_cast<size_t>(ctx.endpoint)].url)
                        : std::string_view("builtin"));
  w.end_object();
}

void AccessLog::on_complete(const RequestContext& ctx) {
  thread_local std::string line;
  line.clear();
  format(ctx, line);
  line += '\n';
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (buffer_.size() + line.size() > kMaxBufferedBytes) {
      ++dropped_;
      return;
    }
    buffer_ += line;
    wake = buffer_.size() >= kFlushBytes;
  }
  if (wake) wake_.notify_one();
}

void AccessLog::flush() {
  std::string out;
  {
    std::lock_guard lock(mu_);
    out.swap(buffer_);
  }
  if (!out.empty()) {
    std::fwrite(out.data(), 1, out.size(), file_);
    std::fflush(file_);
  }
}

void AccessLog::run() {
  std::unique_lock lock(mu_);
  std::string out;
  for (;;) {
    wake_.wait_for(lock, std::chrono::milliseconds(100),
                   [&] { return stopping_ || buffer_.size() >= kFlushBytes; });
    out.clear();
    out.swap(buffer_);
    const bool stop = stopping_;
    const uint64_t dropped = std::exchange(dropped_, 0);
    lock.unlock();
    if (dropped > 0) {
      out += fmt::format("{{\"access_log_dropped_lines\":{}}}\n", dropped);
    }
    if (!out.empty()) {
      std::fwrite(out.data(), 1, out.size(), file_);
      std::fflush(file_);
    }
    if (stop) return;
    lock.lock();
  }
}

}  // namespace accord
