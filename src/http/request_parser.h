// Internal to the server: a request as its parser leaves it — method, target, the header fields
// flat in one buffer, and the body — in buffers a keep-alive connection reuses, so it reads
// request after request without allocating.
#pragma once

#include <string>
#include <string_view>

#include "http/http1_parser.h"

namespace accord {

struct RequestData : Http1Head {
  std::string body;

  void clear() {
    Http1Head::clear();
    body.clear();
  }
  std::string_view header(std::string_view name) const { return headers.get(name); }
};

}  // namespace accord
