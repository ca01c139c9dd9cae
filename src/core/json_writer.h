// A small, allocation-frugal JSON writer for the bodies accord generates itself (OpenAI responses,
// errors, admin answers). Reading JSON is simdjson's job (gateway/request_body.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace accord {

// Appends `s` as a JSON string literal, quotes included. Invalid UTF-8 bytes become U+FFFD.
void append_json_string(std::string& out, std::string_view s);

// Builds one JSON value into a string. Keys and commas are tracked per nesting level; the caller
// must balance begin/end calls. Not thread-safe; cheap to construct on the stack.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(uint64_t v);
  JsonWriter& value(double v);
  JsonWriter& value(float v);  // shortest form that reads back as the same float
  JsonWriter& value(bool v);
  JsonWriter& null();
  // Inserts already-serialised JSON as a value.
  JsonWriter& raw(std::string_view json);

  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

 private:
  void separate();

  std::string& out_;
  uint64_t need_comma_ = 0;  // one bit per nesting level (up to 64 deep)
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace accord
