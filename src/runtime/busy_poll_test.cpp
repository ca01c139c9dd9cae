#include "runtime/busy_poll.h"

#include <gtest/gtest.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <functional>
#include <thread>

namespace accord {
namespace {

using namespace std::chrono_literals;

// A loop that polls still runs every handler, fires its timers, handles socket I/O and ends
// when stopped, whether it polls, gives way at once, or does not poll at all.
void runs_everything(const BusyPoll& poll, std::atomic<bool>* quit = nullptr) {
  asio::io_context loop(1);
  auto guard = asio::make_work_guard(loop);
  int posted = 0;
  asio::post(loop, [&] { ++posted; });
  // A timer, and then a loopback round trip from another thread: events that arrive while
  // the loop polls or sleeps.
  asio::steady_timer timer(loop, 5ms);
  bool fired = false;
  asio::ip::tcp::acceptor acceptor(loop, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  asio::ip::tcp::socket peer(loop);
  std::string got(5, '\0');
  timer.async_wait([&](boost::system::error_code ec) {
    fired = !ec;
    acceptor.async_accept(peer, [&](boost::system::error_code accept_ec) {
      ASSERT_FALSE(accept_ec);
      asio::async_read(peer, asio::buffer(got), [&](boost::system::error_code read_ec, size_t) {
        EXPECT_FALSE(read_ec);
        guard.reset();
        if (quit != nullptr) *quit = true;
        loop.stop();
      });
    });
  });
  std::thread client([port] {
    asio::io_context io(1);
    asio::ip::tcp::socket s(io);
    boost::system::error_code ec;
    for (int i = 0; i < 2000; ++i) {
      s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
      if (!ec) break;
      s.close();
      std::this_thread::sleep_for(1ms);  // the loop accepts only after its timer
    }
    ASSERT_FALSE(ec);
    asio::write(s, asio::buffer(std::string("hello")));
    char byte;
    s.read_some(asio::buffer(&byte, 1), ec);  // until the loop's end closes it
  });
  run_polling(loop, poll);
  peer.close();
  client.join();
  EXPECT_EQ(posted, 1);
  EXPECT_TRUE(fired);
  EXPECT_EQ(got, "hello");
  EXPECT_TRUE(loop.stopped());
}

TEST(BusyPoll, OffRunsTheLoopAsUsual) {
  runs_everything(BusyPoll{});
}

TEST(BusyPoll, PollingRunsEveryEventAndStops) {
  runs_everything(BusyPoll{200us, nullptr});
}

TEST(BusyPoll, GivingWayToDueWorkStillRunsEveryEvent) {
  const std::atomic<int64_t> due{0};  // idle-time work is due now: sleep when idle
  runs_everything(BusyPoll{200us, &due});
  const std::atomic<int64_t> later{kNoYield};
  runs_everything(BusyPoll{200us, &later});
}

// A timer every millisecond, 30 times, then a stop: a loop that polls for a second never sleeps
// between them; one whose idle-time work is due sleeps in every gap; one that does not poll runs
// them all through io_context::run() and counts nothing.
PollCounts tick_thirty_times(const BusyPoll& poll, LoopTimes* times = nullptr) {
  asio::io_context loop(1);
  auto guard = asio::make_work_guard(loop);
  asio::steady_timer timer(loop);
  int ticks = 0;
  std::function<void()> tick = [&] {
    timer.expires_after(1ms);
    timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      if (++ticks == 30) {
        loop.stop();
        return;
      }
      tick();
    });
  };
  tick();
  const PollCounts counts = run_polling(loop, poll, times);
  EXPECT_EQ(ticks, 30);
  return counts;
}

TEST(BusyPoll, PollsThroughShortGapsAndSleepsOnceWorkOnItsIdleTimeIsDue) {
  const std::atomic<int64_t> not_due{kNoYield};
  LoopTimes times;
  const PollCounts polling = tick_thirty_times(BusyPoll{1s, &not_due}, &times);
  EXPECT_GT(polling.polls, 0u);
  EXPECT_GT(times.poll_ns(), 0);
  EXPECT_EQ(times.cpu_ns(), 0);  // no thread runs the loop any more
  // It polls through every gap, unless it lost its core (to other tests on a loaded machine)
  // for a tenth of a period: then it stops polling for the next (PollGovernor).
  EXPECT_GE(polling.polled_spells, 5u);  // before the first period ends
  if (polling.contended_periods == 0) {
    EXPECT_EQ(polling.sleeps, 0u);
    EXPECT_EQ(polling.polled_spells, 30u);
  }
  const std::atomic<int64_t> due{0};
  const PollCounts giving_way = tick_thirty_times(BusyPoll{1s, &due});
  EXPECT_GE(giving_way.sleeps, 29u);  // every gap between ticks
  EXPECT_EQ(giving_way.polls, 0u);
  const PollCounts off = tick_thirty_times(BusyPoll{});
  EXPECT_EQ(off.polls, 0u);
}

// Gaps of 1 ms against a longest poll of 200 µs: the polls do not pay, so the window halves
// down to nothing (200, 100, 50, 25 and 12.5 µs), where a fixed window would poll in each of
// the 30 gaps.
TEST(BusyPoll, PollsThatDoNotPayStop) {
  const std::atomic<int64_t> not_due{kNoYield};
  LoopTimes times;
  const PollCounts counts = tick_thirty_times(BusyPoll{200us, &not_due}, &times);
  EXPECT_GE(counts.sleeps, 25u);
  EXPECT_GE(counts.polled_spells, 5u);
  // A late timer, or a loop that lost its core while it polled, can keep a window once.
  EXPECT_LE(counts.polled_spells, 10u);
}

TEST(BusyPoll, AStopFromAnotherThreadEndsAPollingLoop) {
  asio::io_context loop(1);
  auto guard = asio::make_work_guard(loop);
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    loop.stop();
  });
  run_polling(loop, BusyPoll{10ms, nullptr});
  stopper.join();
  EXPECT_TRUE(loop.stopped());
}

// Idle work a test makes due.
class TestWork : public IdleWork {
 public:
  void make_due() { set_due(); }
};

// Idle work that wants `slices` slices, each checking that the loop ran every ready handler
// before it (the one the slice before posted, too); its last one ends the loop for good.
class CountedWork final : public TestWork {
 public:
  CountedWork(asio::io_context& loop, std::atomic<bool>& quit, int slices)
      : loop_(loop), quit_(quit), slices_(slices) {}
  bool run_slice() override {
    EXPECT_EQ(handlers_run_, ran_) << "a slice ran before a ready handler";
    ++ran_;
    asio::post(loop_, [this] { ++handlers_run_; });
    if (ran_ == slices_) {
      clear_due();
      quit_ = true;
      loop_.stop();
    }
    return true;
  }
  int ran() const { return ran_; }
  int handlers_run_ = 0;

 private:
  asio::io_context& loop_;
  std::atomic<bool>& quit_;
  int slices_;
  int ran_ = 0;
};

// A loop asleep in io_context::run() (no polling) wakes when its idle work comes due from
// another thread, and runs it slice by slice, a ready handler before each next slice.
TEST(IdleWork, ComingDueWakesASleepingLoopThatRunsItBetweenEvents) {
  asio::io_context loop(1);
  auto guard = asio::make_work_guard(loop);
  std::atomic<bool> quit{false};
  CountedWork work(loop, quit, 5);
  std::thread other([&] {
    std::this_thread::sleep_for(20ms);  // the loop is asleep by then (or soon: either works)
    work.make_due();
  });
  const PollCounts counts = run_polling(loop, BusyPoll{0ns, nullptr, &work, &quit});
  other.join();
  EXPECT_EQ(work.ran(), 5);
  EXPECT_EQ(counts.slices, 5u);
  EXPECT_EQ(work.handlers_run_, 4);  // the last slice's handler: after the loop ended
}

// Idle work that cannot run now (another thread holds it) does not keep the loop spinning: the
// loop sleeps until its next event.
class BlockedWork final : public TestWork {
 public:
  bool run_slice() override {
    ++tries;
    return false;
  }
  int tries = 0;
};

TEST(IdleWork, WorkThatCannotRunLetsTheLoopSleep) {
  asio::io_context loop(1);
  auto guard = asio::make_work_guard(loop);
  std::atomic<bool> quit{false};
  BlockedWork work;
  work.make_due();
  asio::steady_timer timer(loop, 20ms);
  timer.async_wait([&](boost::system::error_code) {
    quit = true;
    loop.stop();
  });
  const PollCounts counts = run_polling(loop, BusyPoll{0ns, nullptr, &work, &quit});
  EXPECT_LE(work.tries, 2);  // before its sleep, and once the timer woke it
  EXPECT_EQ(counts.slices, 0u);
}

// Attached idle work that never comes due leaves every event to the loop, and the loop's own
// stop (with `quit`) ends it.
TEST(IdleWork, WorkNotDueChangesNothing) {
  std::atomic<bool> quit{false};
  BlockedWork work;
  runs_everything(BusyPoll{0ns, nullptr, &work, &quit}, &quit);
  quit = false;
  runs_everything(BusyPoll{200us, nullptr, &work, &quit}, &quit);
  EXPECT_EQ(work.tries, 0);
}

}  // namespace
}  // namespace accord
