// Hands a Beast parser the bytes already in a connection's buffer, synchronously. Beast's own
// read operations run through a composed asynchronous operation even when the bytes are there,
// and complete through the scheduler; on a keep-alive connection the whole request (or an
// upstream's whole answer) has usually arrived with the first read, so parsing it in place
// saves that round on every request.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

namespace accord {

// Parses what `buffer` holds, consuming what the parser used, until the parser is done with the
// head (`head_only`) or the whole message, needs more bytes, or fails. Returns the failure
// (needing more bytes is not one).
template <bool IsRequest>
boost::beast::error_code parse_buffered(boost::beast::http::basic_parser<IsRequest>& parser,
                                        boost::beast::flat_buffer& buffer, bool head_only) {
  boost::beast::error_code ec;
  while (buffer.size() > 0 && !(head_only ? parser.is_header_done() : parser.is_done())) {
    const size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == boost::beast::http::error::need_more) return {};
    if (ec) return ec;
    if (used == 0) break;
  }
  return ec;
}

}  // namespace accord
