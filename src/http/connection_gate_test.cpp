#include "http/connection_gate.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

TEST(ConnectionGate, CapsEachAddressAndTheTotal) {
  ConnectionGate gate(/*max_total=*/3, /*max_per_address=*/2);
  EXPECT_TRUE(gate.try_acquire("10.0.0.1"));
  EXPECT_TRUE(gate.try_acquire("10.0.0.1"));
  EXPECT_FALSE(gate.try_acquire("10.0.0.1"));  // per-address cap
  EXPECT_TRUE(gate.try_acquire("10.0.0.2"));
  EXPECT_FALSE(gate.try_acquire("10.0.0.3"));  // total cap
  EXPECT_EQ(gate.open(), 3);
  gate.release("10.0.0.1");
  EXPECT_TRUE(gate.try_acquire("10.0.0.3"));
  gate.release("10.0.0.1");
  EXPECT_TRUE(gate.try_acquire("10.0.0.1"));
}

}  // namespace
}  // namespace accord
