#include "trace/trace_exporter.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "runtime/deadline_sweeper.h"
#include "trace/otlp_http.h"
#include "trace/otlp_json.h"

namespace accord {
namespace {

// A collector is nearby: it connects at once and answers within seconds, or it is down.
constexpr ClientTimeouts kExportTimeouts{1'000, 5'000, 5'000};

}  // namespace

TraceExporter::TraceExporter(std::function<std::shared_ptr<const Agreement>()> current)
    : current_(std::move(current)), timer_(io_) {
  thread_ = std::thread([this] { run(); });
}

TraceExporter::~TraceExporter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake();
  thread_.join();
}

void TraceExporter::wake() {
  asio::post(io_, [this] { timer_.cancel(); });
}

void TraceExporter::on_complete(const RequestContext& ctx) {
  if (!ctx.trace.sampled) return;
  TraceRecord record;
  make_trace_record(ctx, record);
  const auto limit = static_cast<size_t>(ctx.snapshot->agreement->traces.max_queue_spans);
  bool wake_now = false;
  {
    std::lock_guard lock(mu_);
    if (pending_spans_ + record.span_count > limit) {
      stats_.dropped_queue_full.fetch_add(record.span_count, std::memory_order_relaxed);
      return;
    }
    // The exporter sleeps while the queue is empty, and waits out the interval until a batch is
    // full: it needs waking at those two moments only.
    wake_now = pending_.empty() ||
               (pending_spans_ < kBatchSpans && pending_spans_ + record.span_count >= kBatchSpans);
    pending_spans_ += record.span_count;
    pending_.push_back(std::move(record));
  }
  if (wake_now) wake();
}

void TraceExporter::run() {
  pthread_setname_np(pthread_self(), "accord-traces");  // as top -H and the benchmarks see it
  auto sweeper = std::make_shared<DeadlineSweeper>(io_, 100 * kNanosPerMilli);
  HttpClientPool client(io_, sweeper);
  sweeper->start();
  asio::co_spawn(io_, export_loop(client), asio::detached);
  io_.run();
}

asio::awaitable<void> TraceExporter::export_loop(HttpClientPool& client) {
  std::vector<TraceRecord> sending;
  for (;;) {
    bool stop = false, empty = false, full = false;
    {
      std::lock_guard lock(mu_);
      stop = stopping_;
      empty = pending_.empty();
      full = pending_spans_ >= kBatchSpans;
    }
    error_code ec;
    if (!stop && empty) {
      timer_.expires_at(asio::steady_timer::time_point::max());
      co_await timer_.async_wait(use_ec(ec));
      continue;
    }
    if (!stop && !full) {
      const std::shared_ptr<const Agreement> agreement = current_();
      timer_.expires_after(std::chrono::milliseconds(agreement->traces.flush_interval_ms));
      co_await timer_.async_wait(use_ec(ec));
    }
    {
      std::lock_guard lock(mu_);
      sending.swap(pending_);
      pending_spans_ = 0;
      stop = stopping_;
    }
    co_await send(client, sending);
    sending.clear();
    if (stop) break;
  }
  io_.stop();  // the sweeper's timer and idle connections would keep run() going
}

asio::awaitable<void> TraceExporter::send(HttpClientPool& client,
                                          const std::vector<TraceRecord>& records) {
  bool failed = false;
  for (size_t begin = 0; begin < records.size();) {
    size_t end = begin;
    size_t spans = 0;
    while (end < records.size() &&
           (end == begin || spans + records[end].span_count <= kBatchSpans)) {
      spans += records[end++].span_count;
    }
    if (failed) {
      stats_.dropped_export_failed.fetch_add(spans, std::memory_order_relaxed);
    } else {
      const std::span<const TraceRecord> batch(records.data() + begin, end - begin);
      const bool sent = co_await send_batch(client, batch, spans);
      failed = !sent;
    }
    begin = end;
  }
}

asio::awaitable<bool> TraceExporter::send_batch(HttpClientPool& client,
                                                std::span<const TraceRecord> records,
                                                size_t span_count) {
  const std::shared_ptr<const Agreement> agreement = current_();
  const TracesConfig& config = agreement->traces;
  Status sent = Error::internal(ErrorKind::kUnavailable, "the traces section was removed");
  if (config.enabled) {
    spans_.clear();
    for (const TraceRecord& r : records) append_spans(r, spans_);
    body_.clear();
    encode_otlp_json(config.service_name, spans_.spans(), body_);
    if (target_.host != config.host || target_.port != config.port) {
      target_ = make_client_target(config.host, config.port, 1);
    }
    sent = co_await post_otlp_json(client, target_, config.path, body_, kExportTimeouts);
  }
  if (!sent.ok()) {
    stats_.dropped_export_failed.fetch_add(span_count, std::memory_order_relaxed);
    if (!failing_) {
      spdlog::warn("traces: cannot export to {}: {}; spans are dropped until it answers",
                   config.endpoint, sent.error().message);
    }
    failing_ = true;
    co_return false;
  }
  stats_.exported_spans.fetch_add(span_count, std::memory_order_relaxed);
  if (failing_) spdlog::info("traces: exporting to {} again", config.endpoint);
  failing_ = false;
  co_return true;
}

}  // namespace accord
