#include "engine/replica_model.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace accord {

ReplicaModel::ReplicaModel(const ReplicaParams& params, int max_segment_iterations)
    : params_(params), max_segment_(std::max(1, max_segment_iterations)) {}

ReplicaModel::Seq* ReplicaModel::find(SeqId id) {
  const auto slot = static_cast<uint32_t>(id & 0xffffffffu);
  if (slot >= seqs_.size() || seqs_[slot].generation != static_cast<uint32_t>(id >> 32) ||
      seqs_[slot].state == State::kFree) {
    return nullptr;
  }
  return &seqs_[slot];
}

const ReplicaModel::Seq* ReplicaModel::find(SeqId id) const {
  return const_cast<ReplicaModel*>(this)->find(id);
}

SeqId ReplicaModel::submit(double now, int64_t prompt_tokens, int64_t output_tokens) {
  assert(now >= now_ - 1e-9);
  now_ = std::max(now_, now);
  uint32_t slot = 0;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(seqs_.size());
    seqs_.emplace_back();
  }
  Seq& s = seqs_[slot];
  const uint32_t generation = s.generation;
  s = Seq{};
  s.generation = generation;
  s.state = State::kWaiting;
  s.prompt = std::max<int64_t>(1, prompt_tokens);
  s.output = std::max<int64_t>(0, output_tokens);
  waiting_.push_back(slot);
  if (segment_iterations_ > 0) {
    cut_segment_at(now);  // it joins at the next iteration boundary
  } else {
    admit();
    start_segment(now);
  }
  return id_of(slot);
}

void ReplicaModel::cancel(SeqId id, double now) {
  Seq* s = find(id);
  if (s == nullptr || s->cancel_pending) return;
  const auto slot = static_cast<uint32_t>(id & 0xffffffffu);
  switch (s->state) {
    case State::kWaiting:
      waiting_.erase(std::find(waiting_.begin(), waiting_.end(), slot));
      s->state = State::kCancelled;
      return;
    case State::kPrefill:
    case State::kDecode:
      s->generated_at_cancel = tokens_generated(id, now);
      s->cancel_pending = true;
      cancelled_.push_back(slot);
      cut_segment_at(now);
      return;
    default:
      return;
  }
}

void ReplicaModel::release(SeqId id) {
  Seq* s = find(id);
  if (s == nullptr) return;
  if (s->state == State::kFinished || s->state == State::kCancelled ||
      s->state == State::kWaiting) {
    if (s->state == State::kWaiting) {
      waiting_.erase(
          std::find(waiting_.begin(), waiting_.end(), static_cast<uint32_t>(id & 0xffffffffu)));
    }
    free_slot(static_cast<uint32_t>(id & 0xffffffffu));
  } else {
    s->release_pending = true;
    if (!s->cancel_pending) cancel(id, now_);
  }
}

void ReplicaModel::free_slot(uint32_t slot) {
  Seq& s = seqs_[slot];
  s.state = State::kFree;
  ++s.generation;
  free_slots_.push_back(slot);
}

void ReplicaModel::admit() {
  while (!waiting_.empty() && running() < params_.max_batch) {
    Seq& s = seqs_[waiting_.front()];
    const int64_t need = s.prompt + s.output;
    // A request larger than the whole cache still runs, alone, rather than never.
    if (kv_used_ + need > params_.kv_capacity_tokens && running() > 0) break;
    kv_used_ += need;
    s.state = State::kPrefill;
    prefilling_.push_back(waiting_.front());
    waiting_.pop_front();
    ++n_prefill_;
  }
}

void ReplicaModel::start_segment(double at) {
  segment_start_ = at;
  segment_iterations_ = 0;
  head_only_prefill_ = false;
  if (running() == 0) return;
  const auto chunk = static_cast<int64_t>(params_.prefill_chunk_tokens);
  double prefill_tokens = 0;
  double attention_s = 0;
  int64_t k_prefill = INT64_MAX;
  if (!prefilling_.empty()) {
    const Seq& head = seqs_[prefilling_.front()];
    const int64_t remaining = head.prompt - head.prefilled;
    if (remaining > chunk) {
      head_only_prefill_ = true;
      prefill_tokens = static_cast<double>(chunk);
      attention_s = params_.t_attn_pair_s * static_cast<double>(chunk) *
                    (static_cast<double>(head.prefilled) + static_cast<double>(chunk) / 2);
      k_prefill = (remaining - 1) / chunk;
    } else {
      int64_t budget = chunk;
      for (const uint32_t slot : prefilling_) {
        const Seq& s = seqs_[slot];
        const int64_t take = std::min(budget, s.prompt - s.prefilled);
        prefill_tokens += static_cast<double>(take);
        attention_s += params_.t_attn_pair_s * static_cast<double>(take) *
                       (static_cast<double>(s.prefilled) + static_cast<double>(take) / 2);
        budget -= take;
        if (budget == 0) break;
      }
      k_prefill = 1;
    }
  }
  while (!decode_ends_.empty()) {  // drop ends of sequences that were cancelled
    const DecodeEnd& top = decode_ends_.top();
    const Seq& s = seqs_[top.slot];
    if (s.generation == top.generation && s.state == State::kDecode) break;
    decode_ends_.pop();
  }
  const int64_t k_decode = decode_ends_.empty() ? INT64_MAX : decode_ends_.top().step - steps_;
  segment_iterations_ =
      std::max<int64_t>(1, std::min({k_prefill, k_decode, static_cast<int64_t>(max_segment_)}));
  iteration_s_ = params_.t_fixed_s + (n_decode_ + prefill_tokens) * params_.t_token_s +
                 static_cast<double>(decode_ctx_sum_) * params_.t_kv_s + attention_s;
}

int64_t ReplicaModel::steps_done_by(double t) const {
  if (segment_iterations_ == 0 || t <= segment_start_) return 0;
  const auto n = static_cast<int64_t>(std::floor((t - segment_start_) / iteration_s_ + 1e-9));
  return std::clamp<int64_t>(n, 0, segment_iterations_);
}

void ReplicaModel::cut_segment_at(double now) {
  if (segment_iterations_ == 0) return;
  const auto running_one =
      static_cast<int64_t>(std::ceil((now - segment_start_) / iteration_s_ - 1e-9));
  segment_iterations_ = std::clamp<int64_t>(running_one, 1, segment_iterations_);
}

double ReplicaModel::next_event_time() const {
  if (segment_iterations_ == 0) return kNever;
  return segment_start_ + static_cast<double>(segment_iterations_) * iteration_s_;
}

void ReplicaModel::advance(double t, std::vector<EngineEvent>& events) {
  while (segment_iterations_ > 0 && next_event_time() <= t) finish_segment(events);
  now_ = std::max(now_, t);
}

void ReplicaModel::finish(uint32_t slot, double at, std::vector<EngineEvent>& events) {
  Seq& s = seqs_[slot];
  s.state = State::kFinished;
  s.finished_at = at;
  kv_used_ -= s.prompt + s.output;
  if (!s.cancel_pending) events.push_back({id_of(slot), EngineEvent::Type::kFinished, at});
}

void ReplicaModel::finish_segment(std::vector<EngineEvent>& events) {
  const int64_t k = segment_iterations_;
  const double end = next_event_time();
  iterations_ += k;
  steps_ += k;
  decode_ctx_sum_ += static_cast<int64_t>(n_decode_) * k;
  tokens_produced_ += static_cast<int64_t>(n_decode_) * k;
  const auto chunk = static_cast<int64_t>(params_.prefill_chunk_tokens);
  if (head_only_prefill_) {
    seqs_[prefilling_.front()].prefilled += chunk * k;
  } else {
    int64_t budget = chunk;
    while (budget > 0 && !prefilling_.empty()) {
      const uint32_t slot = prefilling_.front();
      Seq& s = seqs_[slot];
      const int64_t take = std::min(budget, s.prompt - s.prefilled);
      s.prefilled += take;
      budget -= take;
      if (s.prefilled < s.prompt) break;
      prefilling_.pop_front();
      --n_prefill_;
      s.first_token_at = end;
      if (s.output == 0) {
        finish(slot, end, events);
        continue;
      }
      ++tokens_produced_;
      if (!s.cancel_pending) events.push_back({id_of(slot), EngineEvent::Type::kFirstToken, end});
      if (s.output == 1) {
        finish(slot, end, events);
        continue;
      }
      s.state = State::kDecode;
      s.joined_at_step = steps_;
      decode_ends_.push({steps_ + s.output - 1, slot, s.generation});
      ++n_decode_;
      decode_ctx_sum_ += s.prompt + 1;
    }
  }
  while (!decode_ends_.empty() && decode_ends_.top().step <= steps_) {
    const DecodeEnd e = decode_ends_.top();
    decode_ends_.pop();
    Seq& s = seqs_[e.slot];
    if (s.generation != e.generation || s.state != State::kDecode) continue;
    --n_decode_;
    decode_ctx_sum_ -= s.prompt + s.output;
    finish(e.slot, end, events);
  }
  drop_cancelled();
  admit();
  start_segment(end);
}

void ReplicaModel::drop_cancelled() {
  for (const uint32_t slot : cancelled_) {
    Seq& s = seqs_[slot];
    if (s.state == State::kPrefill) {
      prefilling_.erase(std::find(prefilling_.begin(), prefilling_.end(), slot));
      --n_prefill_;
      kv_used_ -= s.prompt + s.output;
    } else if (s.state == State::kDecode) {
      --n_decode_;
      decode_ctx_sum_ -= s.prompt + 1 + (steps_ - s.joined_at_step);
      kv_used_ -= s.prompt + s.output;
    }
    if (s.state == State::kPrefill || s.state == State::kDecode) s.state = State::kCancelled;
    if (s.release_pending && s.state != State::kFree) free_slot(slot);
  }
  cancelled_.clear();
}

int64_t ReplicaModel::tokens_generated(SeqId id, double t) const {
  const Seq* s = find(id);
  if (s == nullptr) return 0;
  switch (s->state) {
    case State::kDecode:
      return std::min(s->output, 1 + steps_ + steps_done_by(t) - s->joined_at_step);
    case State::kFinished:
      return s->output;
    case State::kCancelled:
      return s->generated_at_cancel;
    default:
      return 0;
  }
}

double ReplicaModel::next_token_time(SeqId id, double t) const {
  const Seq* s = find(id);
  if (s == nullptr) return kNever;
  if (s->state == State::kWaiting || s->state == State::kPrefill) return next_event_time();
  if (s->state != State::kDecode) return kNever;
  const int64_t done = steps_done_by(t);
  return segment_start_ + static_cast<double>(done + 1) * iteration_s_;
}

bool ReplicaModel::finished(SeqId id) const {
  const Seq* s = find(id);
  return s == nullptr || s->state == State::kFinished || s->state == State::kCancelled;
}

double ReplicaModel::first_token_time(SeqId id) const {
  const Seq* s = find(id);
  if (s == nullptr) return kNever;
  return s->first_token_at;
}

double ReplicaModel::finish_time(SeqId id) const {
  const Seq* s = find(id);
  if (s == nullptr) return kNever;
  return s->finished_at;
}

}  // namespace accord
