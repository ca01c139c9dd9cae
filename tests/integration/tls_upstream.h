// TlsUpstream: an OpenAI-compatible upstream behind TLS, on 127.0.0.1, for the https upstream
// tests. It presents the certificate it is given, answers POST .../chat/completions with a
// completion (or, when the body asks, a stream ending in usage and [DONE]) and GET .../models
// with a list, keeps connections alive, and counts the handshakes it completes: a gateway that
// reuses its connections makes one per connection, not one per request. Its own thread runs an
// Asio loop; the counters may be read from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "test_pki.h"

namespace accord::testing {

class TlsUpstream {
 public:
  explicit TlsUpstream(const TestCertificate& certificate);
  ~TlsUpstream();
  TlsUpstream(const TlsUpstream&) = delete;
  TlsUpstream& operator=(const TlsUpstream&) = delete;

  int port() const { return port_; }
  int handshakes() const { return counters_.handshakes.load(); }  // completed
  int failed_handshakes() const { return counters_.failed_handshakes.load(); }
  int resumed() const { return counters_.resumed.load(); }  // handshakes that resumed a session
  int completions() const { return counters_.completions.load(); }      // POSTs answered
  int health_checks() const { return counters_.health_checks.load(); }  // GETs answered

  struct Counters {
    std::atomic<int> handshakes{0};
    std::atomic<int> failed_handshakes{0};
    std::atomic<int> resumed{0};
    std::atomic<int> completions{0};
    std::atomic<int> health_checks{0};
  };
  struct Loop;  // its Asio objects (tls_upstream.cpp)

 private:
  Counters counters_;  // before loop_, so it outlives the connections' coroutines
  std::unique_ptr<Loop> loop_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace accord::testing
