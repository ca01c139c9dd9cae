// For the harnesses: the fuzz input as the bytes a socket delivers, a piece per read, into a
// connection's buffer; the server and the upstream client then parse it with parse_buffered().
#pragma once

#include <boost/beast/core/flat_buffer.hpp>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace accord::fuzz {

// Appends the next piece (at most `step` bytes) of `in` to `buffer`; false once `in` is empty.
inline bool read_more(boost::beast::flat_buffer& buffer, std::string_view& in, size_t step) {
  if (in.empty()) return false;
  const size_t n = std::min(step, in.size());
  std::memcpy(buffer.prepare(n).data(), in.data(), n);
  buffer.commit(n);
  in.remove_prefix(n);
  return true;
}

}  // namespace accord::fuzz
