#include "ledger/writer_share.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <thread>

namespace accord {
namespace {

// On a thread of its own: the policy it sets is the calling thread's.
TEST(WriterShare, IdleAtEaseANormalShareWhenBehind) {
  std::thread([] {
    WriterShare share;
    share.set_behind(false);
    EXPECT_EQ(sched_getscheduler(0), SCHED_IDLE);
    EXPECT_FALSE(share.behind());
    share.set_behind(true);
    if (geteuid() == 0) {
      EXPECT_TRUE(share.may_catch_up());
    }
    if (share.may_catch_up()) {
      EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
      EXPECT_TRUE(share.behind());
    } else {  // without CAP_SYS_NICE it stays idle, and says so
      EXPECT_EQ(sched_getscheduler(0), SCHED_IDLE);
      EXPECT_FALSE(share.behind());
    }
    share.set_behind(false);
    EXPECT_EQ(sched_getscheduler(0), SCHED_IDLE);
  }).join();
}

}  // namespace
}  // namespace accord
