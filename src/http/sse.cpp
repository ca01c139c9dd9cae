#include "http/sse.h"

namespace accord {

bool SseParser::next(SseEvent& event) {
  const std::string_view all(buffer_);
  size_t pos = consumed_;
  std::string_view first_data;
  int data_lines = 0;
  joined_.clear();
  while (pos < all.size()) {
    const size_t nl = all.find('\n', pos);
    if (nl == std::string_view::npos) return false;  // incomplete line
    std::string_view line = all.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    if (line.empty()) {
      if (data_lines == 0 && pos - consumed_ <= 2) {  // a stray blank line: skip it
        consumed_ = pos;
        continue;
      }
      event.raw = all.substr(consumed_, pos - consumed_);
      event.data = data_lines > 1 ? std::string_view(joined_) : first_data;
      consumed_ = pos;
      return true;
    }
    if (line.substr(0, 5) == "data:") {
      std::string_view value = line.substr(5);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (data_lines == 0) {
        first_data = value;
      } else {
        if (data_lines == 1) joined_.assign(first_data);
        joined_.push_back('\n');
        joined_.append(value);
      }
      ++data_lines;
    }
  }
  return false;
}

void SseParser::compact() {
  buffer_.erase(0, consumed_);
  consumed_ = 0;
}

void append_sse_data(std::string& out, std::string_view payload) {
  out.append("data: ");
  out.append(payload);
  out.append("\n\n");
}

}  // namespace accord
