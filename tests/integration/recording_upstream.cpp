#include "recording_upstream.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

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

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  const size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "POST /v1/messages HTTP/1.1\r\nName: value\r\n..." → the request, less its body.
RecordedRequest parse_head(const std::string& head) {
  RecordedRequest r;
  size_t line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.find(' ', sp1 + 1);
  r.method = line.substr(0, sp1);
  r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string h =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const size_t colon = h.find(':');
    if (colon != std::string::npos)
      r.headers[lower(h.substr(0, colon))] = trim(h.substr(colon + 1));
  }
  return r;
}

std::string whole(int status, const std::string& type, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A chunked event stream, one chunk per event.
std::string event_stream(const std::vector<std::string>& events) {
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (const std::string& e : events) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", e.size());
    out += size + e + "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string openai_answer(bool stream) {
  if (!stream) {
    return whole(
        200, "application/json",
        R"({"id":"chatcmpl-r","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6,"prompt_tokens_details":{"cached_tokens":3}}})");
  }
  return event_stream({
      R"(data: {"id":"chatcmpl-r","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]})"
      "\n\n",
      R"(data: {"id":"chatcmpl-r","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6,"prompt_tokens_details":{"cached_tokens":3}}})"
      "\n\n",
      "data: [DONE]\n\n",
  });
}

std::string anthropic_answer(bool stream) {
  if (!stream) return whole(200, "application/json", anthropic_answer_body(false));
  return event_stream(anthropic_events());
}

std::string event(const std::string& name, const std::string& data) {
  return "event: " + name + "\ndata: " + data + "\n\n";
}

constexpr const char* kResponse =
    R"({"id":"resp_up_1","object":"response","created_at":1,"status":"completed","model":"up-name-2","output":[{"type":"message","id":"msg_up_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"hi there","annotations":[]}]}],"usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":2},"output_tokens":4,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":13}})";

// The first two events of a stream, then the dialect's error event.
std::string broken_stream(bool anthropic) {
  const std::vector<std::string> all = anthropic ? anthropic_events() : responses_events();
  return event_stream(
      {all[0], all[1],
       anthropic
           ? event("error",
                   R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})")
           : event(
                 "error",
                 R"({"type":"error","code":"server_error","message":"The model crashed.","param":null,"sequence_number":2})")});
}

}  // namespace

std::vector<std::string> responses_events() {
  const std::string response = kResponse;
  const std::string in_progress =
      R"({"id":"resp_up_1","object":"response","created_at":1,"status":"in_progress","model":"up-name-2","output":[],"usage":null})";
  return {
      event("response.created",
            R"({"type":"response.created","sequence_number":0,"response":)" + in_progress + "}"),
      event(
          "response.in_progress",
          R"({"type":"response.in_progress","sequence_number":1,"response":)" + in_progress + "}"),
      event(
          "response.output_text.delta",
          R"({"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_up_1","output_index":0,"content_index":0,"delta":"hi there"})"),
      event("response.completed",
            R"({"type":"response.completed","sequence_number":3,"response":)" + response + "}"),
  };
}

std::string responses_answer_body(bool stream) {
  if (!stream) return kResponse;
  std::string out;
  for (const std::string& e : responses_events()) out += e;
  return out;
}

std::vector<std::string> anthropic_events() {
  return {
      event(
          "message_start",
          R"({"type":"message_start","message":{"id":"msg_r","type":"message","role":"assistant","model":"claude-up","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":7,"output_tokens":1,"cache_read_input_tokens":4,"cache_creation_input_tokens":0}}})"),
      event(
          "content_block_start",
          R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"),
      event("ping", R"({"type":"ping"})"),
      event(
          "content_block_delta",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi "}})"),
      event(
          "content_block_delta",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"there"}})"),
      event("content_block_stop", R"({"type":"content_block_stop","index":0})"),
      event(
          "message_delta",
          R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}})"),
      event("message_stop", R"({"type":"message_stop"})"),
  };
}

std::string anthropic_answer_body(bool stream) {
  if (stream) {
    std::string out;
    for (const std::string& e : anthropic_events()) out += e;
    return out;
  }
  return R"({"id":"msg_r","type":"message","role":"assistant","model":"claude-up","content":[{"type":"text","text":"hi there"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":7,"output_tokens":3,"cache_read_input_tokens":4,"cache_creation_input_tokens":0}})";
}

std::string RecordedRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

RecordingUpstream::RecordingUpstream(Dialect dialect) : dialect_(dialect) {
  start();
}

RecordingUpstream::~RecordingUpstream() {
  stop();
}

std::vector<RecordedRequest> RecordingUpstream::posts() const {
  std::lock_guard lock(mu_);
  return posts_;
}

std::vector<RecordedRequest> RecordingUpstream::gets() const {
  std::lock_guard lock(mu_);
  return gets_;
}

std::string RecordingUpstream::answer(const RecordedRequest& request) const {
  const bool anthropic = dialect_ == Dialect::kAnthropic;
  if (request.method == "GET") {
    return whole(200, "application/json", R"({"object":"list","data":[]})");
  }
  if (const int status = refuse_status_.load(); status != 0) {
    // The credential it was sent, repeated as some providers do in their refusals.
    const std::string sent =
        request.header(anthropic ? "x-api-key" : "authorization") + request.header("api-key");
    const std::string message = "refused the key " + sent;
    return whole(status, "application/json",
                 anthropic
                     ? R"({"type":"error","error":{"type":"authentication_error","message":")" +
                           message + R"("}})"
                     : R"({"error":{"message":")" + message +
                           R"(","type":"invalid_request_error","param":null,"code":null}})");
  }
  if (request.method == "DELETE") {
    return whole(200, "application/json",
                 R"({"id":"resp_up_1","object":"response","deleted":true})");
  }
  const bool stream = request.body.find("\"stream\":true") != std::string::npos;
  if (stream && break_streams_.load()) return broken_stream(anthropic);
  if (anthropic) return anthropic_answer(stream);
  if (request.target.ends_with("/responses")) {
    return stream ? event_stream(responses_events())
                  : whole(200, "application/json", responses_answer_body(false));
  }
  return openai_answer(stream);
}

void RecordingUpstream::serve(int fd) {
  std::string in;
  char buf[16384];
  bool eof = false;
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
    RecordedRequest request = parse_head(in.substr(0, head_end));
    const std::string length = request.header("content-length");
    const size_t body_size = length.empty() ? 0 : std::stoul(length);
    while (in.size() < head_end + 4 + body_size) {
      if (!read_more(5000)) break;
    }
    request.body = in.substr(head_end + 4, body_size);
    in.erase(0, head_end + 4 + body_size);
    const std::string response = answer(request);
    {
      std::lock_guard lock(mu_);
      (request.method == "GET" ? gets_ : posts_).push_back(std::move(request));
    }
    send_all(fd, response);
  }
}

}  // namespace accord::testing
