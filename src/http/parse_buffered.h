// Hands a parser the bytes already in a connection's buffer, synchronously: on a keep-alive
// connection the whole request (or an upstream's whole answer) has usually arrived with the first
// read, so it is parsed in place without another trip through the event loop.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>

#include "http/http1_parser.h"

namespace accord {

// Parses what `buffer` holds, consuming what the parser used, until the parser is done with the
// head (`head_only`) or the whole message, needs more bytes, or fails. Returns the failure
// (needing more bytes is not one).
inline error_code parse_buffered(Http1Parser& parser, boost::beast::flat_buffer& buffer,
                                 bool head_only) {
  error_code ec;
  while (buffer.size() > 0 && !(head_only ? parser.is_header_done() : parser.is_done())) {
    const auto data = buffer.data();
    const size_t used =
        parser.put(std::string_view(static_cast<const char*>(data.data()), data.size()), ec);
    buffer.consume(used);
    if (ec == boost::beast::http::error::need_more) return {};
    if (ec) return ec;
    if (used == 0) break;
  }
  return ec;
}

}  // namespace accord
