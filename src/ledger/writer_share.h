// The batch ledger writer's share of a core. (It commits only what idle event loops leave, and
// runs the WAL checkpoints: ledger.h.) At ease it is SCHED_IDLE: it runs only on time the
// event loops leave, so a commit (a millisecond for a few hundred rows) holds up a request on a
// shared core less (p99 at one connection, interleaved runs beside nginx on the bench/peers
// setup, when it did all the commits: 0.68 ms at nice 10, 0.18-0.20 ms idle; nginx 0.20). Behind
// (a queue past a batch), it asks for a normal share (its nice value, 10) to catch up. Leaving
// SCHED_IDLE needs CAP_SYS_NICE (or RLIMIT_NICE); without it the writer stays idle and
// back-pressure (Ledger::backlogged) still bounds the queue.
#pragma once

namespace accord {

// Used by one thread, for itself.
class WriterShare {
 public:
  // At a normal share until the first call.
  void set_behind(bool behind);

  bool behind() const { return behind_; }
  // False once raising the share was refused (no CAP_SYS_NICE); it is not tried again.
  bool may_catch_up() const { return may_catch_up_; }

 private:
  bool behind_ = true;
  bool may_catch_up_ = true;
};

}  // namespace accord
