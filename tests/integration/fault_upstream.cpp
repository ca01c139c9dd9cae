#include "fault_upstream.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace accord::testing {
namespace {

void send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

void reset(int fd) {
  linger l{1, 0};  // close with RST
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

const char* kChunk =
    "data: "
    "{\"id\":\"chatcmpl-f\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi \"},\"finish_reason\":null}]}\n\n";

}  // namespace

FaultUpstream::FaultUpstream(Fault fault, int status, std::string retry_after)
    : fault_(fault), status_(status), retry_after_(std::move(retry_after)) {
  start();
}

FaultUpstream::~FaultUpstream() {
  release_streams();
  stop();
}

void FaultUpstream::hold_streams() {
  std::lock_guard lock(hold_mu_);
  holding_ = true;
}

void FaultUpstream::release_streams() {
  {
    std::lock_guard lock(hold_mu_);
    holding_ = false;
  }
  released_.notify_all();
}

void FaultUpstream::wait_while_held() {
  std::unique_lock lock(hold_mu_);
  released_.wait(lock, [this] { return !holding_; });
}

void FaultUpstream::serve(int fd) {
  std::string in;
  char buf[16384];
  bool eof = false;
  // Reads what arrives within timeout_ms; false on a timeout or the end of the connection.
  auto read_more = [&](int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      eof = true;
      return false;
    }
    in.append(buf, static_cast<size_t>(n));
    return true;
  };
  for (;;) {  // keep-alive: one request after another
    size_t head_end = std::string::npos;
    while (!eof && !stopping() && (head_end = in.find("\r\n\r\n")) == std::string::npos) {
      read_more(100);
    }
    if (head_end == std::string::npos) break;
    const std::string head = in.substr(0, head_end);
    size_t length = 0;
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (const size_t at = lower.find("content-length:"); at != std::string::npos) {
      length = std::stoul(lower.substr(at + 15));
    }
    while (in.size() < head_end + 4 + length) {
      if (!read_more(5000)) break;
    }
    const std::string body = in.substr(head_end + 4, length);
    in.erase(0, head_end + 4 + length);
    const bool post = head.starts_with("POST");
    const bool stream = body.find("\"stream\":true") != std::string::npos;
    const Fault fault = fault_.load();
    if (!post) {  // health checks: GET /v1/models
      const std::string list = R"({"object":"list","data":[{"id":"m","object":"model"}]})";
      if (fault == Fault::kHealthy) {
        send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(list.size()) + "\r\n\r\n" + list);
        continue;
      }
      reset(fd);
      break;
    }
    ++completions_;
    if (fault == Fault::kHealthy) {
      if (stream) {
        send_all(fd, std::string("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n"));
        auto chunk = [&](const std::string& s) {
          char size[32];
          std::snprintf(size, sizeof size, "%zx\r\n", s.size());
          send_all(fd, size + s + "\r\n");
        };
        chunk(kChunk);
        wait_while_held();
        chunk(
            "data: {\"id\":\"chatcmpl-f\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            "\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,"
            "\"total_tokens\":6,\"prompt_tokens_details\":{\"cached_tokens\":3}}}\n\n");
        chunk("data: [DONE]\n\n");
        send_all(fd, "0\r\n\r\n");
      } else {
        const std::string r =
            R"({"id":"chatcmpl-f","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6,"prompt_tokens_details":{"cached_tokens":3}}})";
        send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(r.size()) + "\r\n\r\n" + r);
      }
      continue;
    }
    switch (fault) {
      case Fault::kResetBeforeAnswer:
        reset(fd);
        break;
      case Fault::kResetMidStream:
        send_all(fd, std::string("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n") +
                         kChunk + kChunk);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        reset(fd);
        break;
      case Fault::kStall:
        while (!stopping() && !eof) read_more(100);
        break;
      case Fault::kStatus: {
        const std::string e =
            R"({"error":{"message":"upstream says no","type":"server_error","param":null,"code":null}})";
        send_all(fd, "HTTP/1.1 " + std::to_string(status_) +
                         " Fault\r\nContent-Type: application/json\r\n" +
                         (retry_after_.empty() ? "" : "Retry-After: " + retry_after_ + "\r\n") +
                         "Content-Length: " + std::to_string(e.size()) + "\r\n\r\n" + e);
        continue;  // the connection stays usable
      }
      case Fault::kMalformedJson:
        send_all(fd,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                 "9\r\n\r\n{not json");
        continue;
      case Fault::kNoDone:
        send_all(fd, std::string("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n") +
                         kChunk + kChunk);
        break;  // close: the stream ends without [DONE]
      case Fault::kEndlessStream: {
        ++open_streams_;
        send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n");
        while (!stopping()) {
          if (::send(fd, kChunk, std::strlen(kChunk), MSG_NOSIGNAL) <= 0) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        --open_streams_;
        break;
      }
      case Fault::kShortBody:
        send_all(fd,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                 "1000\r\n\r\n{\"id\":\"x\",");
        break;
      default:
        break;
    }
    break;
  }
}

}  // namespace accord::testing
