// Test harness for integration tests: runs accord binaries as child processes and talks HTTP to
// them over real sockets. Waiting is always for an event (a line on stderr, a byte on a socket,
// a process exit) with a generous upper bound, never a sleep.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

struct ssl_st;
struct ssl_ctx_st;

namespace accord::testing {

// The accord executable and the source tree, from the build.
std::string accord_binary();
std::string source_dir();

class Process {
 public:
  // Starts argv[0] with its stderr captured (stdout goes to the test's stderr).
  explicit Process(std::vector<std::string> argv);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Reads stderr until a line matches; returns the first capture group (or the line).
  // Fails the test (returns "") after timeout_ms.
  std::string wait_for_line(const std::string& pattern, int timeout_ms = 20'000);
  void signal(int sig);
  // The exit code (128+N for signal N), or -1 if it did not exit within timeout_ms.
  int wait_exit(int timeout_ms = 20'000);
  bool running();
  pid_t pid() const { return pid_; }
  const std::string& captured() const { return captured_; }

 private:
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string buffer_;
  std::string captured_;
  int exit_code_ = -1;
  bool exited_ = false;
};

// `accord serve --config FILE --listen 127.0.0.1:0` (and extra args); returns once listening
// (over plain HTTP or TLS, as the agreement says).
struct Served {
  std::unique_ptr<Process> process;
  int port = 0;
};
Served start_serve(const std::string& config, std::vector<std::string> extra = {});
Served start_engine(std::vector<std::string> extra = {});

// A temporary directory, removed with its files at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

struct HttpResponse {
  int status = 0;                              // 0: no response (connection closed or timed out)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // de-chunked
  std::string header(const std::string& name) const;
};

// TLS for an HttpConnection: trust the CA certificates in `ca_file` (PEM) and only those, and
// verify the server's certificate for `host`; ALPN offers http/1.1.
struct TlsClientOptions {
  std::string ca_file;
  std::string host = "localhost";
};

// A blocking HTTP/1.1 client connection (keep-alive) for tests, over plain TCP or TLS.
class HttpConnection {
 public:
  explicit HttpConnection(int port);
  // TLS: connected() once the handshake has succeeded; tls_error() says why not.
  HttpConnection(int port, const TlsClientOptions& tls);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  bool connected() const { return fd_ >= 0; }
  const std::string& tls_error() const { return tls_error_; }
  // TLS: the certificate the server presented (PEM), the protocol and the ALPN agreed.
  std::string peer_certificate_pem() const;
  std::string tls_version() const;
  std::string alpn() const;

  void send_raw(const std::string& bytes);
  void send_request(const std::string& method, const std::string& path, const std::string& body,
                    const std::map<std::string, std::string>& headers = {});
  // Reads one whole response (head and body).
  HttpResponse read_response(int timeout_ms = 20'000);
  // Streaming: reads the head only, then SSE events one at a time ("" at the end).
  HttpResponse read_head(int timeout_ms = 20'000);
  std::string next_sse_data(int timeout_ms = 20'000);
  // Streaming: the data of every event left, to the stream's end.
  std::vector<std::string> remaining_sse_data(int timeout_ms = 20'000);
  // True if bytes (or the end) are waiting to be read within timeout_ms.
  bool readable(int timeout_ms);
  // True if the server closed the connection (reads EOF) within timeout_ms.
  bool closed_by_peer(int timeout_ms = 20'000);

 private:
  bool fill(int timeout_ms);  // reads more bytes into buffer_; false on EOF/timeout
  bool read_chunk(std::string& out, int timeout_ms);
  // Waits up to timeout_ms for bytes, then reads some: how many, 0 at the end, -1 on an error,
  // kTimedOut when none came.
  static constexpr long kTimedOut = -2;
  long receive(char* buf, size_t size, int timeout_ms);

  int fd_ = -1;
  ssl_ctx_st* tls_context_ = nullptr;
  ssl_st* tls_ = nullptr;
  std::string tls_error_;
  std::string buffer_;
  bool chunked_ = false;
  std::string sse_pending_;
  bool stream_done_ = false;
};

// One request on a fresh connection.
HttpResponse http(int port, const std::string& method, const std::string& path,
                  const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {});
std::map<std::string, std::string> bearer(const std::string& key);

// Runs `command` in a shell: its stdout, and its wait status in `*status` when given.
std::string run_stdout(const std::string& command, int* status = nullptr);

// SELECT count(*) FROM usage WHERE `where`, on the ledger at `path` (-1 if it cannot be read).
int64_t count_rows(const std::string& path, const std::string& where);

// Demo keys (examples/demo.keys).
inline const std::string kCopilotKey = "sk-accord-demo-copilot-7Qm2xV9kLp3Rt8Wz";
inline const std::string kAcmeKey = "sk-accord-demo-acme-4Hn6bJ1sYc5Fg0Ue";
inline const std::string kResearchKey = "sk-accord-demo-research-2Kd8vN3qMw6Zx1Ta";
inline const std::string kCloudKey = "sk-accord-demo-cloud-ops-9Pe4rB7tGy2Lh5Sc";

}  // namespace accord::testing
