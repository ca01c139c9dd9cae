// TraceExporter: sends the spans of sampled requests to the agreement's OTLP/HTTP collector, off
// the request path. At completion a request copies a TraceRecord into a bounded queue under a
// short lock; the exporter's own thread ("accord-traces", with its own event loop and HTTP client)
// takes the queue when a batch's worth of spans (512) is waiting or `traces.flush_interval_ms`
// after the first, encodes it as OTLP JSON and POSTs it, 512 spans at a time. A full queue
// (`traces.max_queue_spans`) or a failed export drops spans, counted in stats(); nothing is
// retried, and a request never waits on the collector.
//
// Configuration is read where it is used, so every key applies on reload: the sample ratio when a
// request arrives (its snapshot's), the queue's bound at completion, the endpoint and service name
// for each batch (the current agreement's). With no `traces` section nothing is sampled, and the
// thread sleeps until something is queued.
// Threads: on_complete() from any event loop; construction and destruction on one thread, after
// the loops have stopped calling.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/request_context.h"
#include "http/client.h"
#include "runtime/asio.h"
#include "trace/trace_record.h"
#include "trace/trace_stats.h"

namespace accord {

class TraceExporter final : public CompletionObserver {
 public:
  // Spans per POST; a queue holding this many is sent without waiting for the interval.
  static constexpr size_t kBatchSpans = 512;

  // `current` returns the agreement in force (its `traces` section says where to send).
  explicit TraceExporter(std::function<std::shared_ptr<const Agreement>()> current);
  // Sends what is queued (one try, stopping at the first failure), then stops the thread.
  ~TraceExporter() override;
  TraceExporter(const TraceExporter&) = delete;
  TraceExporter& operator=(const TraceExporter&) = delete;

  // Queues the request's spans when it was sampled.
  void on_complete(const RequestContext& ctx) override;

  const TraceExportStats& stats() const { return stats_; }

 private:
  void run();
  asio::awaitable<void> export_loop(HttpClientPool& client);
  // Sends `records` in batches of kBatchSpans; after a failed one, the rest are dropped (the
  // collector is down: the next take tries again).
  asio::awaitable<void> send(HttpClientPool& client, const std::vector<TraceRecord>& records);
  asio::awaitable<bool> send_batch(HttpClientPool& client, std::span<const TraceRecord> records,
                                   size_t span_count);
  void wake();

  std::function<std::shared_ptr<const Agreement>()> current_;
  TraceExportStats stats_;
  std::mutex mu_;
  std::vector<TraceRecord> pending_;  // guarded by mu_
  size_t pending_spans_ = 0;          // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  // The exporter thread's own.
  asio::io_context io_;
  asio::steady_timer timer_;
  SpanBuffer spans_;
  std::string body_;
  ClientTarget target_;
  bool failing_ = false;  // the last export failed (logged once until one succeeds)
  std::thread thread_;
};

}  // namespace accord
