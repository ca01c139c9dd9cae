#include "http/query.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

TEST(Query, FindsAndDecodes) {
  EXPECT_EQ(query_param("/v1/usage?from=2026-11-01&to=2026-11-30", "to"), "2026-11-30");
  EXPECT_EQ(query_param("/x?model=frontier%2D2&a", "model"), "frontier-2");
  EXPECT_EQ(query_param("/x?q=a+b%20c", "q"), "a b c");
  EXPECT_EQ(query_param("/x?a", "a"), "");
  EXPECT_FALSE(query_param("/x?a=1", "b").has_value());
  EXPECT_FALSE(query_param("/x", "a").has_value());
  EXPECT_EQ(query_param("/x?a=%", "a"), "%");
}

}  // namespace
}  // namespace accord
