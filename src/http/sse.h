// Server-sent events: splitting an upstream's byte stream into events without copying them, so
// the relay can forward each event's bytes as received and look into its data when it must.
#pragma once

#include <string>
#include <string_view>

namespace accord {

struct SseEvent {
  std::string_view raw;   // the whole event, up to and including its blank line
  std::string_view data;  // the value of its data field(s); several lines are joined by '\n'
};

// Not thread-safe. Views handed out stay valid until the next feed() or compact().
class SseParser {
 public:
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // Where received bytes may be appended directly: feed() without the copy.
  std::string& input() { return buffer_; }
  // The next complete event, if one has been fed.
  bool next(SseEvent& event);
  // Drops the events already returned (call after forwarding them).
  void compact();
  // Bytes fed but not yet part of a complete event.
  std::string_view pending() const { return std::string_view(buffer_).substr(consumed_); }
  void reset() {
    buffer_.clear();
    consumed_ = 0;
  }

 private:
  std::string buffer_;
  size_t consumed_ = 0;
  std::string joined_;  // data of multi-line events
};

// Appends one "data: PAYLOAD\n\n" event.
void append_sse_data(std::string& out, std::string_view payload);

}  // namespace accord
