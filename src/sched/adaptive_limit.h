// AdaptiveLimit: the concurrency limit of an upstream pool — how many requests it lets run at
// once — learned online from the latency its requests see, within [min_limit, max_limit] (the
// pool's max_inflight). The owner of an upstream pool reports every finished request and every
// 429 to it and gives limit() to the PoolScheduler as the pool's slots.
//
// TCP Vegas, as Netflix's concurrency-limits VegasLimit applies it to requests: with `min` the
// per-token latency at no load and `avg` a window's mean at limit L, L × (1 − min/avg) requests
// wait in the upstream's queue instead of running (a rise within the samples' noise excepted:
// see on_sample()); below alpha = log10(L) the limit grows, above
// beta = 2·log10(L) it shrinks (log10 at least 1). Vegas rather than Gradient2: Gradient2 compares
// a short to a long latency average within a tolerance (2× by default), so it has no fixed
// reference, lets a standing queue grow up to the tolerance and settles wherever that is; Vegas
// settles a request or two past the knee of the upstream's latency curve, where throughput has
// peaked and latency has barely risen. Netflix's 3·log10 and 6·log10 (with log10 rounded down)
// keep 4 to 6 requests queued: 15% more latency at a knee of 32 for no more throughput.
// Where it departs from VegasLimit, and why:
//  - it decides once per window of max(8, L) samples, about one round of the pool (TCP Vegas
//    decides once per round trip), on the window's mean: ±10% noise per request then moves the
//    queue estimate by a fraction of a request. With no queue it grows by beta, with a little by
//    log10(L); above beta it goes straight to the middle of [alpha, beta], as queue ≈ L − knee;
//  - a window may raise it only if half its samples ran with inflight ≥ limit/2: a pool that
//    does not use its limit learns nothing about a larger one (app-limited);
//  - samples with inflight > limit ran under a higher limit (it was just cut) and are skipped;
//  - min is re-probed as BBR's ProbeRTT does: every 40 windows, or after 5 windows in a row that
//    cut the limit, the limit drops to 3/4 until the pool drains to it, one round settles and
//    one round measures; min becomes that round's mean. Reset at full load instead, min would
//    rise with the pool's own queue and ratchet the limit up. So an upstream that got uniformly
//    slower raises min rather than pinning the limit at min_limit; one that got faster lowers it
//    at once (min also follows any window mean below it). Probes cost 1–2% of throughput.
// Over Vegas: with latency_target_s set, a smoothed latency (EMA of window means) above it cuts
// the limit ×0.9 per window, whatever the queue; a window with more than 10% of its requests
// dropped cuts it ×0.9; a 429 halves it, at most once per window span, so a burst is one back-off.
// A provider's latency hardly depends on one customer's load: there the 429s govern and Vegas
// only regrows the limit between them. An upstream whose latency climbs steadily with load (no
// knee) is held where it has risen by a quarter to a half: Vegas reads any rise as a queue.
//
// Runs on virtual time: the caller passes `now`. Not thread-safe (the pool's owner holds its
// lock). No allocation.
#pragma once

#include "core/clock.h"

namespace accord {

struct AdaptiveLimitConfig {
  int initial_limit = 8;
  int min_limit = 1;
  int max_limit = 64;           // the pool's max_inflight
  double latency_target_s = 0;  // per-token latency (TPOT) not to exceed; 0: none
};

class AdaptiveLimit {
 public:
  // Bounds are repaired, not refused (min_limit ≥ 1, max_limit ≥ min_limit, initial within).
  explicit AdaptiveLimit(AdaptiveLimitConfig config);

  // A request finished: its latency per output token (seconds; TPOT, or total time / tokens for a
  // non-streamed answer), with `inflight` requests of the pool running when it finished, itself
  // included. `dropped`: the upstream failed it or it timed out (not a client error; a 429 goes to
  // on_rate_limited instead). Samples with latency ≤ 0 that are not dropped are ignored.
  // REQUIRES: the pool runs at most limit() requests, except just after a cut (samples of more
  // are skipped, so a pool that ignores the limit freezes it).
  // `noise_s`: how much of latency_s the measurement itself may add (the gateway's own event loops
  // under load, spread over the request's tokens); a rise within the window's mean noise is no
  // evidence of a queue at the upstream, which matters only for upstreams that answer in about a
  // millisecond (a model server's time per output token is tens of them).
  void on_sample(MonoNanos now, double latency_s, int inflight, bool dropped = false,
                 double noise_s = 0);

  // The upstream answered 429 or said its rate limit is spent (x-ratelimit-remaining-requests: 0):
  // halves the limit, at most once per window span (1 s before the first window) so that a burst
  // of 429s is one back-off.
  void on_rate_limited(MonoNanos now);

  // How many requests may run at once now, in [min_limit, max_limit].
  int limit() const;
  // The no-load per-token latency it compares against (seconds; 0 before the first window).
  double min_latency_s() const { return min_latency_s_; }
  // The smoothed per-token latency the target is checked against (0 before the first window).
  double smoothed_latency_s() const { return smoothed_latency_s_; }
  // Whether it is measuring min latency at a lowered limit now.
  bool probing() const { return probe_ != Probe::kNone; }

 private:
  enum class Probe { kNone, kDrain, kSettle, kMeasure };

  int window_size() const;
  void end_window(MonoNanos now);
  void on_probe_sample(double latency_s, int inflight, bool dropped);
  void start_probe();
  void reset_window();
  void clamp_estimate();

  AdaptiveLimitConfig config_;
  double estimate_;  // the limit, fractional so that steps below one request add up
  double min_latency_s_ = 0;
  double smoothed_latency_s_ = 0;

  // The window being collected.
  MonoNanos window_start_ = 0;
  int window_samples_ = 0;  // not dropped
  int window_drops_ = 0;
  int window_busy_ = 0;  // samples with inflight ≥ limit/2
  double window_latency_sum_s_ = 0;
  double window_noise_sum_s_ = 0;
  MonoNanos last_window_span_ = 0;

  int windows_since_probe_ = 0;
  // Slow start, as TCP's: from a small initial limit, where the first window measures the
  // no-load latency, it doubles each busy window that shows no queue, until one does. Starting
  // at max_limit instead would take that first measurement far past the knee and hold it there.
  bool slow_start_ = true;
  int decreasing_windows_ = 0;  // in a row
  Probe probe_ = Probe::kNone;
  double probe_saved_estimate_ = 0;
  int probe_samples_ = 0;   // in the current phase
  int probe_measured_ = 0;  // not dropped, in the measuring round
  int probe_drops_ = 0;
  double probe_latency_sum_s_ = 0;

  MonoNanos last_backoff_at_ = 0;
  bool backed_off_ = false;
};

}  // namespace accord
