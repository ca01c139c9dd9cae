// Internal to the server: a Beast parser that writes the request straight into reusable buffers —
// method, target, a flat copy of the header fields and the body — so a keep-alive connection
// reads request after request without allocating.
#pragma once

#include <boost/beast/http/basic_parser.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "http/exchange.h"

namespace accord {

struct RequestData {
  std::string method;
  std::string target;
  int version = 11;
  std::string header_text;  // names and values back to back
  struct Field {
    uint32_t name_at, name_len, value_at, value_len;
  };
  std::vector<Field> fields;
  std::string body;

  void clear() {
    method.clear();
    target.clear();
    header_text.clear();
    fields.clear();
    body.clear();
  }
  std::string_view header(std::string_view name) const;
};

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  explicit RequestParser(RequestData& out) : out_(out) {}

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code&) override {
    out_.method.assign(method.data(), method.size());
    out_.target.assign(target.data(), target.size());
    out_.version = version;
  }
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field, string_view name, string_view value,
                     error_code& ec) override {
    // No control characters in a value: a bare CR, or an obs-fold's line break, is refused (RFC
    // 9112 §2.2, §5.2), so nothing that reads as a line end can travel on to an upstream.
    for (const char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) {
        ec = boost::beast::http::error::bad_value;
        return;
      }
    }
    const auto at = static_cast<uint32_t>(out_.header_text.size());
    out_.header_text.append(name.data(), name.size());
    out_.header_text.append(value.data(), value.size());
    out_.fields.push_back({at, static_cast<uint32_t>(name.size()),
                           at + static_cast<uint32_t>(name.size()),
                           static_cast<uint32_t>(value.size())});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(boost::optional<std::uint64_t> const& length, error_code&) override {
    if (length) out_.body.reserve(*length + kJsonPadding);
  }
  std::size_t on_body_impl(string_view s, error_code&) override {
    out_.body.append(s.data(), s.size());
    return s.size();
  }
  void on_chunk_header_impl(std::uint64_t size, string_view, error_code&) override {
    out_.body.reserve(out_.body.size() + size + kJsonPadding);
  }
  std::size_t on_chunk_body_impl(std::uint64_t, string_view s, error_code&) override {
    out_.body.append(s.data(), s.size());
    return s.size();
  }
  void on_finish_impl(error_code&) override {
    if (out_.body.capacity() < out_.body.size() + kJsonPadding) {
      out_.body.reserve(out_.body.size() + kJsonPadding);
    }
  }

  RequestData& out_;
};

}  // namespace accord
