// For the harnesses: hands a Beast parser the bytes received so far, as a connection does.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <string>

namespace accord::fuzz {

// Puts `pending` into `parser` until it needs more bytes, is done with what `done` asks for, or
// fails; consumed bytes leave `pending`. Returns the error (need_more is not one).
template <bool IsRequest, typename Done>
boost::beast::error_code put_pending(boost::beast::http::basic_parser<IsRequest>& parser,
                                     std::string& pending, Done done) {
  boost::beast::error_code ec;
  for (;;) {
    const size_t used = parser.put(boost::asio::buffer(pending), ec);
    pending.erase(0, used);
    if (ec == boost::beast::http::error::need_more) return {};
    if (ec || used == 0 || done()) return ec;
  }
}

}  // namespace accord::fuzz
