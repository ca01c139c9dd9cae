#include "sched/adaptive_limit.h"

#include <algorithm>
#include <cmath>

namespace accord {
namespace {

constexpr int kMinWindowSamples = 8;
constexpr double kAlphaPerLog = 1;  // grow while fewer than log10(L) requests queue
constexpr double kBetaPerLog = 2;   // shrink while more than 2·log10(L) do
constexpr double kSmoothing = 0.5;  // EMA weight of a new window mean
constexpr double kTargetBackoff = 0.9;
constexpr double kDropBackoff = 0.9;
constexpr double kDropShare = 0.1;  // dropped samples above this share of a window are overload
constexpr double kRateLimitBackoff = 0.5;
constexpr int kProbeIntervalWindows = 40;
constexpr int kProbeAfterDecreasingWindows = 5;
constexpr double kProbeShare = 0.75;  // of the limit, while probing
constexpr MonoNanos kFirstHoldoff = kNanosPerSecond;
constexpr MonoNanos kMinHoldoff = 100 * kNanosPerMilli;
constexpr MonoNanos kMaxHoldoff = 60 * kNanosPerSecond;

double log10_at_least_1(double limit) {
  return std::max(1.0, std::log10(limit));
}

}  // namespace

AdaptiveLimit::AdaptiveLimit(AdaptiveLimitConfig config) : config_(config) {
  config_.min_limit = std::max(1, config_.min_limit);
  config_.max_limit = std::max(config_.min_limit, config_.max_limit);
  config_.initial_limit = std::clamp(config_.initial_limit, config_.min_limit, config_.max_limit);
  estimate_ = config_.initial_limit;
}

int AdaptiveLimit::limit() const {
  return std::clamp(static_cast<int>(estimate_), config_.min_limit, config_.max_limit);
}

int AdaptiveLimit::window_size() const {
  return std::max(kMinWindowSamples, limit());
}

void AdaptiveLimit::clamp_estimate() {
  estimate_ = std::clamp(estimate_, static_cast<double>(config_.min_limit),
                         static_cast<double>(config_.max_limit));
}

void AdaptiveLimit::reset_window() {
  window_samples_ = 0;
  window_drops_ = 0;
  window_busy_ = 0;
  window_latency_sum_s_ = 0;
  window_noise_sum_s_ = 0;
}

void AdaptiveLimit::on_sample(MonoNanos now, double latency_s, int inflight, bool dropped,
                              double noise_s) {
  if (!dropped && !(latency_s > 0 && std::isfinite(latency_s))) return;
  if (probe_ != Probe::kNone) {
    on_probe_sample(latency_s, inflight, dropped);
    return;
  }
  if (inflight > limit()) return;
  if (window_samples_ + window_drops_ == 0) window_start_ = now;
  if (dropped) {
    ++window_drops_;
  } else {
    ++window_samples_;
    window_latency_sum_s_ += latency_s;
    window_noise_sum_s_ += noise_s;
    if (2 * inflight >= limit()) ++window_busy_;
  }
  if (window_samples_ + window_drops_ >= window_size()) end_window(now);
}

void AdaptiveLimit::end_window(MonoNanos now) {
  last_window_span_ = now - window_start_;
  const int total = window_samples_ + window_drops_;
  const bool busy = 2 * window_busy_ >= window_samples_;
  const double before = estimate_;
  if (window_drops_ > kDropShare * total) {
    estimate_ *= kDropBackoff;
    slow_start_ = false;
  } else {
    const double mean_s = window_latency_sum_s_ / window_samples_;
    smoothed_latency_s_ = smoothed_latency_s_ == 0
                              ? mean_s
                              : smoothed_latency_s_ + kSmoothing * (mean_s - smoothed_latency_s_);
    if (min_latency_s_ == 0 || mean_s < min_latency_s_) min_latency_s_ = mean_s;
    const double noise_s = window_noise_sum_s_ / window_samples_;
    const double queue = estimate_ * std::max(0.0, mean_s - min_latency_s_ - noise_s) / mean_s;
    const double log = log10_at_least_1(estimate_);
    const double alpha = kAlphaPerLog * log;
    const double beta = kBetaPerLog * log;
    if (slow_start_ && queue >= alpha) slow_start_ = false;
    if (config_.latency_target_s > 0 && smoothed_latency_s_ > config_.latency_target_s) {
      estimate_ *= kTargetBackoff;
      slow_start_ = false;
    } else if (slow_start_) {
      if (busy) estimate_ *= 2;
    } else {
      if (queue > beta) {
        // queue ≈ L − knee: go straight back to the middle of the band.
        estimate_ -= std::max(log, queue - (alpha + beta) / 2);
      } else if (queue < alpha && busy) {
        estimate_ += queue < alpha / 2 ? beta : log;
      }
    }
  }
  clamp_estimate();
  reset_window();
  decreasing_windows_ = estimate_ < before ? decreasing_windows_ + 1 : 0;
  ++windows_since_probe_;
  if (windows_since_probe_ >= kProbeIntervalWindows ||
      decreasing_windows_ >= kProbeAfterDecreasingWindows) {
    start_probe();
  }
}

void AdaptiveLimit::start_probe() {
  probe_saved_estimate_ = estimate_;
  estimate_ = std::floor(estimate_ * kProbeShare);
  clamp_estimate();
  probe_ = Probe::kDrain;
  probe_samples_ = 0;
  probe_measured_ = 0;
  probe_drops_ = 0;
  probe_latency_sum_s_ = 0;
  windows_since_probe_ = 0;
  decreasing_windows_ = 0;
}

void AdaptiveLimit::on_probe_sample(double latency_s, int inflight, bool dropped) {
  switch (probe_) {
    case Probe::kDrain:
      // Until the pool runs no more than the probe's limit, requests finish that ran at more.
      if (inflight <= limit()) probe_ = Probe::kSettle;
      return;
    case Probe::kSettle:
      // Those now running started while it drained; one round later, all started after.
      probe_drops_ += dropped;
      if (++probe_samples_ >= window_size()) {
        probe_ = Probe::kMeasure;
        probe_samples_ = 0;
      }
      return;
    case Probe::kMeasure:
      if (dropped) {
        ++probe_drops_;
      } else {
        ++probe_measured_;
        probe_latency_sum_s_ += latency_s;
      }
      if (++probe_samples_ < window_size()) return;
      if (probe_measured_ > 0) min_latency_s_ = probe_latency_sum_s_ / probe_measured_;
      estimate_ = probe_saved_estimate_;
      // Drops count as in a window (over both rounds), so that a failing upstream cannot hide
      // in probes.
      if (probe_drops_ > kDropShare * 2 * probe_samples_) estimate_ *= kDropBackoff;
      clamp_estimate();
      probe_ = Probe::kNone;
      reset_window();
      return;
    case Probe::kNone:
      return;
  }
}

void AdaptiveLimit::on_rate_limited(MonoNanos now) {
  const MonoNanos holdoff = last_window_span_ > 0
                                ? std::clamp(last_window_span_, kMinHoldoff, kMaxHoldoff)
                                : kFirstHoldoff;
  if (backed_off_ && now - last_backoff_at_ < holdoff) return;
  if (probe_ != Probe::kNone) {
    estimate_ = probe_saved_estimate_;
    probe_ = Probe::kNone;
  }
  estimate_ *= kRateLimitBackoff;
  slow_start_ = false;
  clamp_estimate();
  reset_window();
  decreasing_windows_ = 0;  // a 429 says nothing about min latency
  last_backoff_at_ = now;
  backed_off_ = true;
}

}  // namespace accord
