// LoopbackServer: the plumbing of the tests' fake upstreams — a TCP socket listening on a free
// port of 127.0.0.1, an accept thread, and a thread per connection running serve(fd). The base
// closes each connection after serve() returns. A subclass calls start() at the end of its
// constructor and stop() first thing in its destructor (serve() is virtual).
#pragma once

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace accord::testing {

class LoopbackServer {
 public:
  LoopbackServer();
  virtual ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  int port() const { return port_; }

 protected:
  void start();
  // Stops accepting, shuts the open connections down and waits for their threads.
  void stop();
  bool stopping() const { return stopping_.load(); }
  // One connection, on its own thread; it is closed when this returns.
  virtual void serve(int fd) = 0;

 private:
  void accept_loop();

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;  // guarded by mu_
  std::vector<int> open_fds_;         // guarded by mu_
};

}  // namespace accord::testing
