// PoolScheduler's capacity: how much each lane runs at once (sized for the latency targets from
// the request mix, or learned from an upstream's latency), how far reserved work may overdraw
// it, and what a request will likely use of it.
#include "sched/pool_scheduler.h"

#include <algorithm>
#include <cmath>

namespace accord {
namespace {

// The request mix a built-in pool is sized for before any request told it otherwise.
constexpr double kAssumedPrompt = 1024, kAssumedOutput = 256;
constexpr double kMixResizeBelow = 0.05;  // the lanes are resized when the mix moved by more

}  // namespace

void PoolScheduler::moving_average(double& mean, double sample) {
  constexpr double kSmoothing = 0.05;  // weight of each request
  mean = mean == 0 ? sample : mean + kSmoothing * (sample - mean);
}

void PoolScheduler::observe_mix(double prompt_tokens, double output_tokens) {
  moving_average(mean_prompt_, prompt_tokens);
  moving_average(mean_output_, output_tokens);
  resize_for_mix();
}

void PoolScheduler::on_upstream_sample(const UpstreamSample& sample, MonoNanos now) {
  if (!adaptive_) return;
  if (sample.rate_limited) adaptive_->on_rate_limited(now);
  adaptive_->on_sample(now, sample.latency_per_token_s, slots_used_, sample.dropped,
                       sample.noise_per_token_s);
  if (adaptive_->limit() != lanes_[0].capacity.slots) set_lane_slots(0, adaptive_->limit(), now);
}

void PoolScheduler::resize_for_mix() {
  if (!config_.latency) return;
  const double in = mean_prompt_ > 0 ? mean_prompt_ : kAssumedPrompt;
  const double out = mean_output_ > 0 ? mean_output_ : kAssumedOutput;
  if (sized_prompt_ > 0 && std::abs(in - sized_prompt_) <= kMixResizeBelow * sized_prompt_ &&
      std::abs(out - sized_output_) <= kMixResizeBelow * sized_output_) {
    return;
  }
  sized_prompt_ = in;
  sized_output_ = out;
  const int slots = latency_batch(config_.latency->replica, config_.latency->targets, in, out);
  for (LaneState& l : lanes_) {
    slots_total_ += slots - l.capacity.slots;
    l.capacity.slots = slots;
  }
}

void PoolScheduler::set_lane_slots(size_t lane, int slots, MonoNanos now) {
  if (lane >= lanes_.size()) return;
  LaneState& l = lanes_[lane];
  slots_total_ += slots - l.capacity.slots;
  l.capacity.slots = slots;
  dispatch(now);
}

void PoolScheduler::estimate(Ticket& t) {
  if (t.weighted_estimate > 0) return;  // the caller estimated it
  const double out = outputs_.estimate(t.party, t.model, t.max_output_tokens);
  const double prompt = static_cast<double>(t.prompt_tokens);
  t.weighted_estimate = prompt + t.output_weight * out * t.slots;
  t.kv_tokens = static_cast<int64_t>(std::ceil(prompt + out)) * t.slots;
  t.estimated_ = true;
}

int PoolScheduler::fitting_lane(const Ticket& t, int keep, bool reserved) const {
  if (keep > 0 && slots_used_ - slots_used_preemptible_ + t.slots > slots_total_ - keep) return -1;
  int best = -1;
  for (size_t i = 0; i < lanes_.size(); ++i) {
    const LaneState& l = lanes_[i];
    // Reserved work overdraws the limit, or what the others hold if the limit fell below it.
    const int slots =
        reserved
            ? std::min(l.hard_slots, std::max(l.capacity.slots, l.used_slots - l.used_reserved) +
                                         reserved_overdraft(l.capacity.slots))
            : l.capacity.slots;
    if (l.used_slots + t.slots > slots) continue;
    // A request larger than a whole lane's cache still runs, alone, rather than never.
    const bool fits = l.capacity.kv_tokens == INT64_MAX ||
                      l.used_kv + t.kv_tokens <= l.capacity.kv_tokens || l.used_slots == 0;
    if (!fits) continue;
    if (best < 0) {
      best = static_cast<int>(i);
      continue;
    }
    const LaneState& b = lanes_[static_cast<size_t>(best)];
    const int64_t free_kv =
        l.capacity.kv_tokens == INT64_MAX ? 0 : l.capacity.kv_tokens - l.used_kv;
    const int64_t best_kv =
        b.capacity.kv_tokens == INT64_MAX ? 0 : b.capacity.kv_tokens - b.used_kv;
    if (free_kv > best_kv || (free_kv == best_kv && l.used_slots < b.used_slots)) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

int PoolScheduler::reserved_overdraft(int slots) const {
  double held = 0;
  if (mean_reserved_estimate_ > 0 && mean_hold_ns_ > 0) {
    held = reserved_rate_ / mean_reserved_estimate_ * mean_hold_ns_ / 1e9 /
           static_cast<double>(lanes_.size());
  }
  return std::max({1, slots / 8, static_cast<int>(std::ceil(held))});
}

}  // namespace accord
