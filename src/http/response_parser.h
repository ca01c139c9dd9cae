// Internal to the upstream client: a Beast parser that writes a response's head fields and body
// pieces into buffers the connection reuses. Kept in its own header so the fuzzer can drive it.
#pragma once

#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"

namespace accord {

// The header fields of one response, kept in buffers the connection reuses.
struct HeaderStore {
  std::string text;
  struct Field {
    uint32_t name_at, name_len, value_at, value_len;
  };
  std::vector<Field> fields;

  void clear() {
    text.clear();
    fields.clear();
  }
  std::string_view get(std::string_view name) const {
    for (const Field& f : fields) {
      if (iequals(std::string_view(text).substr(f.name_at, f.name_len), name)) {
        return std::string_view(text).substr(f.value_at, f.value_len);
      }
    }
    return {};
  }
};

// Writes the response head's fields and the body pieces into the connection's buffers.
class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  explicit ResponseParser(HeaderStore& headers) : headers_(headers) {}
  int status = 0;
  std::string* sink = nullptr;

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override { status = code; }
  void on_field_impl(boost::beast::http::field, string_view name, string_view value,
                     error_code&) override {
    const auto at = static_cast<uint32_t>(headers_.text.size());
    headers_.text.append(name.data(), name.size());
    headers_.text.append(value.data(), value.size());
    headers_.fields.push_back({at, static_cast<uint32_t>(name.size()),
                               at + static_cast<uint32_t>(name.size()),
                               static_cast<uint32_t>(value.size())});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(boost::optional<std::uint64_t> const&, error_code&) override {}
  std::size_t on_body_impl(string_view s, error_code&) override {
    if (sink != nullptr) sink->append(s.data(), s.size());
    return s.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view s, error_code&) override {
    if (sink != nullptr) sink->append(s.data(), s.size());
    return s.size();
  }
  void on_finish_impl(error_code&) override {}

  HeaderStore& headers_;
};

}  // namespace accord
