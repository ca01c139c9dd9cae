#include "sched/vtc.h"

#include <gtest/gtest.h>

#include <cmath>

namespace accord {
namespace {

struct Job {
  int party;
  double cost;
};

// Two backlogged parties of equal weight: the service each gets never differs by more than one
// request's cost, whatever their request sizes.
TEST(Vtc, TwoBackloggedPartiesStayWithinOneRequestOfEachOther) {
  Vtc<Job> vtc;
  for (int i = 0; i < 1000; ++i) {
    vtc.push(1, 1.0, std::make_shared<Job>(Job{1, 100}));
    vtc.push(2, 1.0, std::make_shared<Job>(Job{2, 700}));
  }
  double served[3] = {0, 0, 0};
  double max_gap = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto* head = vtc.peek();
    const double cost = (*head)->cost;
    auto job = vtc.pop(cost);
    served[job->party] += cost;
    max_gap = std::max(max_gap, std::abs(served[1] - served[2]));
  }
  EXPECT_LE(max_gap, 700);
  EXPECT_GT(served[1], 0);
  EXPECT_GT(served[2], 0);
}

TEST(Vtc, WeightsSplitServiceInProportion) {
  Vtc<Job> vtc;
  for (int i = 0; i < 4000; ++i) {
    vtc.push(1, 4.0, std::make_shared<Job>(Job{1, 10}));
    vtc.push(2, 1.0, std::make_shared<Job>(Job{2, 10}));
  }
  double served[3] = {0, 0, 0};
  for (int i = 0; i < 2000; ++i) served[vtc.pop(10)->party] += 10;
  EXPECT_NEAR(served[1] / served[2], 4.0, 0.05);
}

TEST(Vtc, AReturningPartyBanksNoCredit) {
  Vtc<Job> vtc;
  // Party 1 is served alone for a long time...
  for (int i = 0; i < 100; ++i) vtc.push(1, 1.0, std::make_shared<Job>(Job{1, 10}));
  for (int i = 0; i < 50; ++i) vtc.pop(10);
  // ...then party 2 arrives: it is lifted to party 1's counter, not served 500 tokens in a row.
  for (int i = 0; i < 100; ++i) vtc.push(2, 1.0, std::make_shared<Job>(Job{2, 10}));
  EXPECT_DOUBLE_EQ(vtc.counter(2), vtc.counter(1));
  int party2_in_a_row = 0;
  while ((*vtc.peek())->party == 2 && party2_in_a_row < 100) {
    vtc.pop(10);
    ++party2_in_a_row;
  }
  EXPECT_LE(party2_in_a_row, 1);
}

TEST(Vtc, RemoveKeepsTheOrder) {
  Vtc<Job> vtc;
  auto a = std::make_shared<Job>(Job{1, 1});
  auto b = std::make_shared<Job>(Job{1, 1});
  vtc.push(1, 1.0, a);
  vtc.push(1, 1.0, b);
  EXPECT_TRUE(vtc.remove(1, a.get()));
  EXPECT_EQ(vtc.peek()->get(), b.get());
  EXPECT_TRUE(vtc.remove(1, b.get()));
  EXPECT_TRUE(vtc.empty());
  EXPECT_EQ(vtc.peek(), nullptr);
}

}  // namespace
}  // namespace accord
