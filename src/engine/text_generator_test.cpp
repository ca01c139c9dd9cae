#include "engine/text_generator.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

TEST(TextGenerator, IsDeterministic) {
  const TextGenerator a(42), b(42), c(43);
  std::string ta, tb, tc;
  for (int i = 0; i < 50; ++i) {
    ta += a.token(i);
    tb += b.token(i);
    tc += c.token(i);
  }
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, tc);
  EXPECT_EQ(a.natural_length(), b.natural_length());
}

TEST(TextGenerator, PlanHonoursMaxTokensAndIgnoreEos) {
  const int64_t natural = TextGenerator(7).natural_length();
  auto plan = plan_generation(7, natural + 10, false, 0, {});
  EXPECT_EQ(plan.tokens, natural);
  EXPECT_STREQ(plan.finish_reason, "stop");
  plan = plan_generation(7, 5, false, 0, {});
  EXPECT_EQ(plan.tokens, 5);
  EXPECT_STREQ(plan.finish_reason, "length");
  plan = plan_generation(7, natural + 10, true, 0, {});
  EXPECT_EQ(plan.tokens, natural + 10);
  EXPECT_STREQ(plan.finish_reason, "length");
}

TEST(TextGenerator, PlanStopsBeforeAStopSequence) {
  const TextGenerator text(9);
  // Use the 6th token's word as the stop sequence: generation ends just before the text first
  // contains it.
  const std::string word(text.token(5));
  auto plan = plan_generation(9, 100, true, 0, {word});
  EXPECT_LE(plan.tokens, 5);
  EXPECT_STREQ(plan.finish_reason, "stop");
  std::string emitted;
  for (int64_t i = 0; i < plan.tokens; ++i) emitted += text.token(i);
  EXPECT_EQ(emitted.find(word), std::string::npos);
  EXPECT_NE((emitted + std::string(text.token(plan.tokens))).find(word), std::string::npos);
}

}  // namespace
}  // namespace accord
