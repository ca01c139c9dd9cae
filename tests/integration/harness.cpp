#include "harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace accord::testing {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string accord_binary() {
  return ACCORD_BIN;
}
std::string source_dir() {
  return ACCORD_SOURCE_DIR;
}

Process::Process(std::vector<std::string> argv) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(pipe_fds[1], 2);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  stderr_fd_ = pipe_fds[0];
}

Process::~Process() {
  if (running()) {
    kill(pid_, SIGKILL);
    wait_exit(5'000);
  }
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

std::string Process::wait_for_line(const std::string& pattern, int timeout_ms) {
  const std::regex re(pattern);
  const int64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    size_t nl;
    while ((nl = buffer_.find('\n')) != std::string::npos) {
      const std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      std::smatch m;
      if (std::regex_search(line, m, re)) return m.size() > 1 ? m[1].str() : line;
    }
    const int64_t left = deadline - now_ms();
    if (left <= 0) {
      ADD_FAILURE() << "no line matching /" << pattern << "/ on stderr; got:\n" << captured_;
      return "";
    }
    pollfd p{stderr_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(stderr_fd_, buf, sizeof buf);
    if (n <= 0) {
      ADD_FAILURE() << "stderr closed before /" << pattern << "/; got:\n" << captured_;
      return "";
    }
    buffer_.append(buf, static_cast<size_t>(n));
    captured_.append(buf, static_cast<size_t>(n));
  }
}

void Process::signal(int sig) {
  if (pid_ > 0 && !exited_) kill(pid_, sig);
}

bool Process::running() {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

int Process::wait_exit(int timeout_ms) {
  if (exited_) return exit_code_;
  // Drain stderr while waiting so the child never blocks on a full pipe.
  const int64_t deadline = now_ms() + timeout_ms;
  auto drain_rest = [&] {  // what it wrote before it exited
    char buf[4096];
    pollfd p{stderr_fd_, POLLIN, 0};
    while (poll(&p, 1, 0) > 0) {
      const ssize_t n = read(stderr_fd_, buf, sizeof buf);
      if (n <= 0) break;
      captured_.append(buf, static_cast<size_t>(n));
    }
  };
  while (now_ms() < deadline) {
    if (!running()) {
      drain_rest();
      return exit_code_;
    }
    pollfd p{stderr_fd_, POLLIN, 0};
    if (poll(&p, 1, 20) > 0) {
      char buf[4096];
      const ssize_t n = read(stderr_fd_, buf, sizeof buf);
      if (n > 0) captured_.append(buf, static_cast<size_t>(n));
    }
  }
  return running() ? -1 : exit_code_;
}

Served start_serve(const std::string& config, std::vector<std::string> extra) {
  std::vector<std::string> argv{accord_binary(), "serve",    "--config",
                                config,          "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  // Nobody reads the access log on stderr here: off unless a test asks for it.
  if (std::find(extra.begin(), extra.end(), "--access-log") == extra.end()) {
    argv.insert(argv.end(), {"--access-log", "off"});
  }
  Served s;
  s.process = std::make_unique<Process>(argv);
  s.port = std::atoi(s.process->wait_for_line(R"(on https?://127\.0\.0\.1:(\d+))").c_str());
  return s;
}

Served start_engine(std::vector<std::string> extra) {
  std::vector<std::string> argv{accord_binary(), "engine", "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Served s;
  s.process = std::make_unique<Process>(argv);
  s.port = std::atoi(s.process->wait_for_line(R"(on http://127\.0\.0\.1:(\d+))").c_str());
  return s;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "accord-test-XXXXXX").string();
  path_ = mkdtemp(tmpl.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string p = path_ + "/" + name;
  std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
  return p;
}

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? "" : it->second;
}

HttpConnection::HttpConnection(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

HttpConnection::HttpConnection(int port, const TlsClientOptions& tls) : HttpConnection(port) {
  if (fd_ < 0) return;
  tls_context_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(tls_context_, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(tls_context_, tls.ca_file.c_str(), nullptr) != 1) {
    tls_error_ = "cannot load " + tls.ca_file;
  } else {
    tls_ = SSL_new(tls_context_);
    SSL_set_fd(tls_, fd_);
    SSL_set_tlsext_host_name(tls_, tls.host.c_str());
    SSL_set1_host(tls_, tls.host.c_str());
    static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(tls_, kHttp11, sizeof kHttp11);
    if (SSL_connect(tls_) != 1) {
      const long verdict = SSL_get_verify_result(tls_);
      char why[256];
      ERR_error_string_n(ERR_get_error(), why, sizeof why);
      tls_error_ = verdict != X509_V_OK ? X509_verify_cert_error_string(verdict) : why;
    }
  }
  ERR_clear_error();
  if (!tls_error_.empty()) {
    close(fd_);
    fd_ = -1;
  }
}

HttpConnection::~HttpConnection() {
  if (tls_ != nullptr) SSL_free(tls_);
  if (tls_context_ != nullptr) SSL_CTX_free(tls_context_);
  if (fd_ >= 0) close(fd_);
}

std::string HttpConnection::peer_certificate_pem() const {
  std::string pem;
  X509* cert = tls_ != nullptr ? SSL_get1_peer_certificate(tls_) : nullptr;
  if (cert == nullptr) return pem;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  pem.assign(data, static_cast<size_t>(n));
  BIO_free(bio);
  X509_free(cert);
  return pem;
}

std::string HttpConnection::tls_version() const {
  return tls_ != nullptr ? SSL_get_version(tls_) : "";
}

std::string HttpConnection::alpn() const {
  const unsigned char* agreed = nullptr;
  unsigned length = 0;
  if (tls_ != nullptr) SSL_get0_alpn_selected(tls_, &agreed, &length);
  return length == 0 ? "" : std::string(reinterpret_cast<const char*>(agreed), length);
}

void HttpConnection::send_raw(const std::string& bytes) {
  size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    const long n = tls_ != nullptr
                       ? SSL_write(tls_, bytes.data() + sent, static_cast<int>(bytes.size() - sent))
                       : ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

long HttpConnection::receive(char* buf, size_t size, int timeout_ms) {
  if (tls_ == nullptr || SSL_pending(tls_) == 0) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return kTimedOut;
  }
  if (tls_ == nullptr) return recv(fd_, buf, size, 0);
  const int n = SSL_read(tls_, buf, static_cast<int>(size));
  ERR_clear_error();
  return n;
}

void HttpConnection::send_request(const std::string& method, const std::string& path,
                                  const std::string& body,
                                  const std::map<std::string, std::string>& headers) {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") {
    if (headers.find("Content-Type") == headers.end()) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  send_raw(req);
}

bool HttpConnection::fill(int timeout_ms) {
  if (fd_ < 0) return false;
  char buf[16384];
  const long n = receive(buf, sizeof buf, timeout_ms);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

HttpResponse HttpConnection::read_head(int timeout_ms) {
  HttpResponse r;
  const int64_t deadline = now_ms() + timeout_ms;
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(static_cast<int>(std::max<int64_t>(0, deadline - now_ms())))) return r;
  }
  const std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  r.status = std::atoi(status_line.substr(9, 3).c_str());
  while (line_end != std::string::npos) {
    const size_t next = head.find("\r\n", line_end + 2);
    const std::string line = head.substr(line_end + 2, next - line_end - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[lower(line.substr(0, colon))] = value;
    }
    line_end = next;
  }
  chunked_ = lower(r.header("transfer-encoding")) == "chunked";
  stream_done_ = false;
  sse_pending_.clear();
  return r;
}

bool HttpConnection::read_chunk(std::string& out, int timeout_ms) {
  const int64_t deadline = now_ms() + timeout_ms;
  size_t nl;
  while ((nl = buffer_.find("\r\n")) == std::string::npos) {
    if (!fill(static_cast<int>(std::max<int64_t>(0, deadline - now_ms())))) return false;
  }
  const size_t size = std::stoul(buffer_.substr(0, nl), nullptr, 16);
  while (buffer_.size() < nl + 2 + size + 2) {
    if (!fill(static_cast<int>(std::max<int64_t>(0, deadline - now_ms())))) return false;
  }
  out.append(buffer_, nl + 2, size);
  buffer_.erase(0, nl + 2 + size + 2);
  if (size == 0) stream_done_ = true;
  return true;
}

HttpResponse HttpConnection::read_response(int timeout_ms) {
  HttpResponse r = read_head(timeout_ms);
  if (r.status == 0) return r;
  const int64_t deadline = now_ms() + timeout_ms;
  if (chunked_) {
    while (!stream_done_) {
      if (!read_chunk(r.body, static_cast<int>(std::max<int64_t>(0, deadline - now_ms())))) break;
    }
  } else if (!r.header("content-length").empty()) {
    const size_t n = std::stoul(r.header("content-length"));
    while (buffer_.size() < n) {
      if (!fill(static_cast<int>(std::max<int64_t>(0, deadline - now_ms())))) break;
    }
    r.body = buffer_.substr(0, n);
    buffer_.erase(0, std::min(n, buffer_.size()));
  } else {
    while (fill(static_cast<int>(std::max<int64_t>(0, deadline - now_ms())))) {
    }
    r.body = buffer_;
    buffer_.clear();
  }
  return r;
}

std::string HttpConnection::next_sse_data(int timeout_ms) {
  const int64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    const size_t end = sse_pending_.find("\n\n");
    if (end != std::string::npos) {
      std::string event = sse_pending_.substr(0, end);
      sse_pending_.erase(0, end + 2);
      if (event.rfind("data: ", 0) == 0) return event.substr(6);
      continue;
    }
    if (stream_done_) return "";
    std::string piece;
    if (chunked_) {
      if (!read_chunk(piece, static_cast<int>(std::max<int64_t>(0, deadline - now_ms())))) {
        return "";
      }
    } else {
      if (buffer_.empty() && !fill(static_cast<int>(std::max<int64_t>(0, deadline - now_ms())))) {
        stream_done_ = true;
        continue;
      }
      piece.swap(buffer_);
    }
    sse_pending_ += piece;
  }
}

std::vector<std::string> HttpConnection::remaining_sse_data(int timeout_ms) {
  std::vector<std::string> events;
  for (std::string e = next_sse_data(timeout_ms); !e.empty(); e = next_sse_data(timeout_ms)) {
    events.push_back(std::move(e));
  }
  return events;
}

bool HttpConnection::readable(int timeout_ms) {
  if (!buffer_.empty()) return true;
  pollfd p{fd_, POLLIN, 0};
  return poll(&p, 1, timeout_ms) > 0;
}

bool HttpConnection::closed_by_peer(int timeout_ms) {
  const int64_t deadline = now_ms() + timeout_ms;
  while (now_ms() < deadline) {
    char buf[4096];
    const long n = receive(buf, sizeof buf, static_cast<int>(deadline - now_ms()));
    if (n == kTimedOut) return false;
    if (n <= 0) return true;
    buffer_.append(buf, static_cast<size_t>(n));
  }
  return false;
}

HttpResponse http(int port, const std::string& method, const std::string& path,
                  const std::string& body, const std::map<std::string, std::string>& headers) {
  HttpConnection c(port);
  c.send_request(method, path, body, headers);
  return c.read_response();
}

std::map<std::string, std::string> bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

std::string run_stdout(const std::string& command, int* status) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int code = pclose(p);
  if (status != nullptr) *status = code;
  return out;
}

int64_t count_rows(const std::string& path, const std::string& where) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, ("SELECT count(*) FROM usage WHERE " + where).c_str(), -1, &stmt,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

}  // namespace accord::testing
