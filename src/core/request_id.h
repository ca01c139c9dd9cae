// Request ids: the client's X-Request-Id when it is a sensible token, else a fresh one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace accord {

// A request id, held inline (no allocation): at most 128 characters.
class RequestId {
 public:
  static constexpr size_t kMaxSize = 128;
  RequestId() = default;
  explicit RequestId(std::string_view s)
      : size_(static_cast<uint8_t>(std::min(s.size(), kMaxSize))) {
    s.copy(data_, size_);
  }
  std::string_view view() const { return {data_, size_}; }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  explicit operator std::string() const { return std::string(view()); }
  bool operator==(std::string_view other) const { return view() == other; }

 private:
  char data_[kMaxSize];
  uint8_t size_ = 0;
};

// "req_" and 24 hex digits, unique per process (a random prefix and a counter).
RequestId new_request_id();
// The client's id when it is 1–128 characters of [A-Za-z0-9._:-], else a new one.
RequestId request_id_from(std::string_view client_value);

}  // namespace accord
