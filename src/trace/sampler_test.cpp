#include "trace/sampler.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

// A trace id whose last 8 bytes are `low` (big-endian), the first 8 arbitrary.
TraceId id_with_low(uint64_t low) {
  TraceId id;
  id.bytes[0] = 0xab;
  for (int i = 0; i < 8; ++i) id.bytes[15 - i] = static_cast<uint8_t>(low >> (8 * i));
  return id;
}

TEST(Sampler, RatioZeroSamplesNothingAndOneEverything) {
  for (const uint64_t low : {uint64_t{0}, uint64_t{1} << 62, ~uint64_t{0}}) {
    EXPECT_FALSE(ratio_samples(0, id_with_low(low)));
    EXPECT_TRUE(ratio_samples(1, id_with_low(low)));
  }
}

TEST(Sampler, TheTraceIdsLastBytesAgainstTheRatioDecide) {
  // At ratio 0.5 the bound is 2^62 on the low 8 bytes shifted right once.
  EXPECT_TRUE(ratio_samples(0.5, id_with_low(0)));
  EXPECT_TRUE(ratio_samples(0.5, id_with_low((uint64_t{1} << 63) - 1)));
  EXPECT_FALSE(ratio_samples(0.5, id_with_low(uint64_t{1} << 63)));
  EXPECT_FALSE(ratio_samples(0.5, id_with_low(~uint64_t{0})));
}

TEST(Sampler, RandomTracesAreSampledInTheRatio) {
  int sampled = 0;
  constexpr int kTraces = 20'000;
  for (int i = 0; i < kTraces; ++i) sampled += ratio_samples(0.25, new_trace_id());
  // 0.25 ± 0.05 is more than ten standard deviations wide.
  EXPECT_GT(sampled, kTraces / 5);
  EXPECT_LT(sampled, kTraces * 3 / 10);
}

TEST(Sampler, TheClientsFlagDecidesWhenItSentATraceparent) {
  TraceParent parent;
  parent.trace_id = id_with_low(~uint64_t{0});  // never sampled by ratio below 1
  parent.parent_id = new_span_id();
  parent.flags = 1;
  EXPECT_TRUE(should_sample(parent, parent.trace_id, 0.0));
  parent.flags = 0;
  EXPECT_FALSE(should_sample(parent, parent.trace_id, 1.0));
  EXPECT_TRUE(should_sample(std::nullopt, id_with_low(0), 0.1));
  EXPECT_FALSE(should_sample(std::nullopt, id_with_low(~uint64_t{0}), 0.1));
}

}  // namespace
}  // namespace accord
