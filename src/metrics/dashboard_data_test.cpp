#include "metrics/dashboard_data.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

prometheus::ClientMetric::Histogram histogram(const std::vector<double>& bounds,
                                              const std::vector<double>& samples) {
  prometheus::Histogram h(bounds);
  for (double s : samples) h.Observe(s);
  return h.Collect().histogram;
}

TEST(HistogramQuantile, InterpolatesWithinTheBucketAsPromQLDoes) {
  // 100 samples: 50 in (0, 1], 50 in (1, 2].
  std::vector<double> samples(50, 0.5);
  samples.insert(samples.end(), 50, 1.5);
  const auto h = histogram({1, 2, 4}, samples);
  EXPECT_DOUBLE_EQ(histogram_quantile(0.5, h), 1.0);
  EXPECT_DOUBLE_EQ(histogram_quantile(0.25, h), 0.5);
  EXPECT_DOUBLE_EQ(histogram_quantile(0.99, h), 1.98);
}

TEST(HistogramQuantile, EmptyAndOverflow) {
  EXPECT_EQ(histogram_quantile(0.99, histogram({1, 2}, {})), -1);
  // Beyond the last bound: the last finite bound, as histogram_quantile() answers.
  EXPECT_DOUBLE_EQ(histogram_quantile(0.99, histogram({1, 2}, {5, 5, 5})), 2.0);
}

TEST(Dashboard, ThePageIsBuiltIn) {
  const std::string_view html = dashboard_html();
  EXPECT_TRUE(html.starts_with("<!doctype html>"));
  EXPECT_NE(html.find("/dashboard/data"), std::string_view::npos);
  // Self-contained: nothing fetched from the internet.
  EXPECT_EQ(html.find("https://"), std::string_view::npos);
}

}  // namespace
}  // namespace accord
