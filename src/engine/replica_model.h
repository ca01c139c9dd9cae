// ReplicaModel: one serving replica (continuous batching, chunked prefill, a KV-cache bound on
// concurrent sequences) on virtual time. It advances from event to event — a sequence finishing
// its prefill (its first token) or its last token — not token by token: between two events the
// batch is the same, so every iteration takes the same time and each decoding sequence gains one
// token per iteration. The same model serves requests in real time (live_engine.h) and runs the
// simulator.
//
// Time is in seconds on the caller's clock and never runs backwards. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <queue>
#include <vector>

#include "engine/calibration.h"

namespace accord {

using SeqId = uint64_t;  // slot index in the low 32 bits, generation above

struct EngineEvent {
  enum class Type : uint8_t { kFirstToken, kFinished };
  SeqId seq;
  Type type;
  double time;
};

class ReplicaModel {
 public:
  static constexpr double kNever = std::numeric_limits<double>::infinity();

  // `max_segment_iterations` bounds how long one batch composition is extrapolated (the KV read
  // cost grows by one token per sequence per iteration).
  explicit ReplicaModel(const ReplicaParams& params, int max_segment_iterations = 64);

  // A new sequence arrives at `now` (REQUIRES: now >= time()). It starts at the next iteration
  // boundary once the batch and the KV cache have room. output_tokens == 0: prefill only (an
  // embedding), finished with no token.
  SeqId submit(double now, int64_t prompt_tokens, int64_t output_tokens);
  // Stops a sequence at `now`; its slot and KV cache are freed at the next iteration boundary.
  void cancel(SeqId id, double now);
  // Forgets a finished or cancelled sequence (its id may be reused).
  void release(SeqId id);

  // Runs the replica up to `t`, appending the events at or before t in time order.
  void advance(double t, std::vector<EngineEvent>& events);
  // When the next event may happen: the end of the current stretch of identical iterations.
  double next_event_time() const;

  // Tokens the sequence has produced by `t` (REQUIRES: advance(t) was called, t >= time()).
  int64_t tokens_generated(SeqId id, double t) const;
  // When it is expected to produce its next token (kNever when finished or not yet started).
  double next_token_time(SeqId id, double t) const;
  bool finished(SeqId id) const;
  double first_token_time(SeqId id) const;
  double finish_time(SeqId id) const;

  double time() const { return now_; }
  int running() const { return n_prefill_ + n_decode_; }
  int waiting() const { return static_cast<int>(waiting_.size()); }
  int64_t kv_tokens_used() const { return kv_used_; }
  const ReplicaParams& params() const { return params_; }
  // Output tokens produced so far by all sequences (for utilisation reports).
  int64_t tokens_produced() const { return tokens_produced_; }
  int64_t busy_iterations() const { return iterations_; }

 private:
  enum class State : uint8_t { kFree, kWaiting, kPrefill, kDecode, kFinished, kCancelled };
  struct Seq {
    uint32_t generation = 0;
    State state = State::kFree;
    bool cancel_pending = false;
    bool release_pending = false;
    int64_t prompt = 0;
    int64_t output = 0;
    int64_t prefilled = 0;
    int64_t joined_at_step = 0;  // decode step count when the first token came out
    int64_t generated_at_cancel = 0;
    double first_token_at = kNever;
    double finished_at = kNever;
  };
  struct DecodeEnd {
    int64_t step;
    uint32_t slot;
    uint32_t generation;
    bool operator>(const DecodeEnd& o) const { return step > o.step; }
  };

  Seq* find(SeqId id);
  const Seq* find(SeqId id) const;
  SeqId id_of(uint32_t slot) const {
    return static_cast<SeqId>(seqs_[slot].generation) << 32 | slot;
  }
  void admit();
  void start_segment(double at);
  void finish_segment(std::vector<EngineEvent>& events);
  void finish(uint32_t slot, double at, std::vector<EngineEvent>& events);
  void free_slot(uint32_t slot);
  void drop_cancelled();
  // Iterations of the current segment completed by t.
  int64_t steps_done_by(double t) const;
  // Cuts the current segment after the iteration running at `now`.
  void cut_segment_at(double now);

  ReplicaParams params_;
  int max_segment_;
  double now_ = 0;
  std::vector<Seq> seqs_;
  std::vector<uint32_t> free_slots_;
  std::deque<uint32_t> waiting_;
  std::deque<uint32_t> prefilling_;
  std::priority_queue<DecodeEnd, std::vector<DecodeEnd>, std::greater<>> decode_ends_;
  std::vector<uint32_t> cancelled_;
  int n_prefill_ = 0;
  int n_decode_ = 0;
  int64_t kv_used_ = 0;
  int64_t decode_ctx_sum_ = 0;  // KV tokens of all decoding sequences
  int64_t steps_ = 0;           // decode iterations completed
  int64_t tokens_produced_ = 0;
  int64_t iterations_ = 0;
  // The current segment: `segment_iterations_` iterations of `iteration_s_` from
  // `segment_start_`; none when segment_iterations_ == 0.
  double segment_start_ = 0;
  double iteration_s_ = 0;
  int64_t segment_iterations_ = 0;
  bool head_only_prefill_ = false;  // the segment's prefill is a long prompt's full chunks
};

}  // namespace accord
