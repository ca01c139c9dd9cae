#include "http/http1_parser.h"

#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace accord {
namespace {

using http_error = boost::beast::http::error;

constexpr size_t kMaxChunkSizeLine = 4096;  // hex digits and chunk extensions

// Byte classes, by table: tchar (RFC 9110 §5.6.2, the characters of a method or a field name),
// and a field value's or reason phrase's bytes (anything but a control character; HTAB allowed).
constexpr uint8_t kTchar = 1;
constexpr uint8_t kValue = 2;
constexpr std::array<uint8_t, 256> kClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool tchar = alnum || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                    std::string_view::npos;
    const bool value = (c >= 0x20 && c != 0x7f) || c == '\t';
    t[static_cast<size_t>(c)] = static_cast<uint8_t>((tchar ? kTchar : 0) | (value ? kValue : 0));
  }
  return t;
}();

constexpr bool is(uint8_t cls, char c) {
  return (kClass[static_cast<unsigned char>(c)] & cls) != 0;
}

bool all_tchars(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!is(kTchar, c)) return false;
  }
  return true;
}

// No control characters but HTAB (a reason phrase, a chunk extension, a trailer: short and rare;
// a head's values are checked all at once by clean_head()).
bool all_value_chars(std::string_view s) {
  for (const char c : s) {
    if (!is(kValue, c)) return false;
  }
  return true;
}

// A whole head's bytes: no control characters but HTAB, and every CR followed by an LF (put_head()
// saw that every LF follows a CR). One pass, sixteen bytes at a time, instead of a check per field.
bool clean_head(std::string_view s) {
  size_t i = 0;
  bool cr_before = false;  // the byte before `i` is a CR
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i del = _mm_set1_epi8(0x7f);
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i is_cr = _mm_cmpeq_epi8(v, cr);
    const __m128i is_lf = _mm_cmpeq_epi8(v, lf);
    const __m128i allowed = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, space), v), _mm_cmpeq_epi8(v, tab)),
        _mm_or_si128(is_cr, is_lf));
    if (_mm_movemask_epi8(_mm_andnot_si128(_mm_cmpeq_epi8(v, del), allowed)) != 0xffff) {
      return false;
    }
    const auto crs = static_cast<unsigned>(_mm_movemask_epi8(is_cr));
    const auto lfs = static_cast<unsigned>(_mm_movemask_epi8(is_lf));
    const unsigned need_lf = ((crs << 1) | (cr_before ? 1u : 0u)) & 0xffffu;
    if ((need_lf & ~lfs) != 0) return false;
    cr_before = (crs & 0x8000u) != 0;
  }
#endif
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (cr_before && c != '\n') return false;
    cr_before = c == '\r';
    if (!cr_before && c != '\n' && !is(kValue, c)) return false;
  }
  return !cr_before;
}

// A field name against a lower-case name of letters and '-': setting bit 5 lower-cases a letter
// and changes no other tchar into a letter or '-'.
bool name_is(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if ((name[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

// "HTTP/1.0" or "HTTP/1.1" → 10 or 11; anything else → -1.
int parse_version(std::string_view s) {
  if (s.size() != 8 || s.substr(0, 7) != "HTTP/1.") return -1;
  if (s[7] == '1') return 11;
  if (s[7] == '0') return 10;
  return -1;
}

// A decimal Content-Length; nullopt when it is not one (empty, a sign, a letter, too long).
std::optional<uint64_t> parse_length(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  uint64_t n = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

}  // namespace

bool Http1Parser::keep_alive() const {
  if (close_) return false;
  if (head_.version < 11 && !keep_alive_token_) return false;
  return true;
}

size_t Http1Parser::put(std::string_view in, error_code& ec) {
  ec = {};
  if (!in.empty()) got_some_ = true;
  size_t used = 0;
  while (state_ != State::kDone) {
    const std::string_view rest = in.substr(used);
    const bool was_head = state_ == State::kHead;
    size_t n = 0;
    switch (state_) {
      case State::kHead:
        n = put_head(rest, ec);
        break;
      case State::kLength: {
        n = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        ec = take_body(rest.substr(0, n));
        remaining_ -= n;
        if (!ec && remaining_ == 0) finish();
        break;
      }
      case State::kChunkSize:
        n = put_chunk_size(rest, ec);
        break;
      case State::kChunkData:
        n = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        ec = take_body(rest.substr(0, n));
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kChunkEnd;
        break;
      case State::kChunkEnd:
        if (rest.size() < 2) {
          if (!rest.empty() && rest[0] != '\r') ec = http_error::bad_chunk;
          break;
        }
        if (rest[0] != '\r' || rest[1] != '\n') {
          ec = http_error::bad_chunk;
          break;
        }
        n = 2;
        state_ = State::kChunkSize;
        break;
      case State::kTrailers:
        n = put_trailers(rest, ec);
        break;
      case State::kToEof:
        n = rest.size();
        ec = take_body(rest);
        break;
      case State::kDone:
        break;
    }
    used += n;
    if (ec) return used;
    // Like Beast's: a put that completes the head stops there, so the caller can see the head
    // (and say where the body goes) before any of the body is taken.
    if (state_ == State::kDone || (was_head && state_ != State::kHead)) break;
    if (used == in.size() || n == 0) {
      ec = http_error::need_more;
      return used;
    }
  }
  return used;
}

void Http1Parser::put_eof(error_code& ec) {
  ec = {};
  if (state_ == State::kToEof) {
    finish();
    return;
  }
  if (state_ != State::kDone)
    ec = got_some_ ? http_error::partial_message : http_error::end_of_stream;
}

size_t Http1Parser::put_head(std::string_view in, error_code& ec) {
  size_t skip = 0;
  // A request may follow stray empty lines (RFC 9112 §2.2); they are not part of it.
  if (kind_ == Kind::kRequest && scanned_ == 0) {
    while (in.size() - skip >= 2 && in[skip] == '\r' && in[skip + 1] == '\n') skip += 2;
    if (in.size() - skip == 1 && in[skip] == '\r') return skip;
  }
  const std::string_view text = in.substr(skip);
  // Every LF must end a CRLF; an empty line ends the head.
  size_t at = scanned_;
  for (;;) {
    const void* lf =
        at < text.size() ? std::memchr(text.data() + at, '\n', text.size() - at) : nullptr;
    if (lf == nullptr) break;
    const size_t i = static_cast<size_t>(static_cast<const char*>(lf) - text.data());
    if (i == 0 || text[i - 1] != '\r') {
      ec = http_error::bad_line_ending;
      return skip;
    }
    if (i >= 3 && text[i - 2] == '\n') {
      const size_t head_size = i + 1;
      if (head_size > header_limit_) {
        ec = http_error::header_limit;
        return skip;
      }
      scanned_ = 0;
      ec = parse_head(text.substr(0, i - 1));  // the lines, each ending in CRLF but the empty one
      if (ec) return skip;
      return skip + head_size;  // still kHead after an interim (1xx) response: the real one follows
    }
    at = i + 1;
  }
  if (text.size() > header_limit_) {
    ec = http_error::header_limit;
    return skip;
  }
  scanned_ = text.size();
  ec = http_error::need_more;
  return skip;
}

error_code Http1Parser::parse_head(std::string_view head) {
  head_.headers.clear();
  has_length_ = chunked_ = close_ = keep_alive_token_ = false;
  length_ = 0;
  // Every LF in `head` ends a CRLF (put_head checked), and the last line ends in one.
  const char* const begin = head.data();
  const char* const end = begin + head.size();
  const auto line_end = [end](const char* from) {
    return static_cast<const char*>(std::memchr(from, '\n', static_cast<size_t>(end - from)));
  };
  const char* lf = line_end(begin);
  const std::string_view first(begin, static_cast<size_t>(lf - 1 - begin));
  error_code ec = kind_ == Kind::kRequest ? parse_request_line(first) : parse_status_line(first);
  if (ec) return ec;
  while (lf + 1 < end) {
    const char* from = lf + 1;
    lf = line_end(from);
    ec = parse_field(std::string_view(from, static_cast<size_t>(lf - 1 - from)));
    if (ec) return ec;
  }
  // The start line and the names are checked; what is left to check is in the values.
  if (!clean_head(head)) return http_error::bad_value;
  return frame_body();
}

error_code Http1Parser::parse_request_line(std::string_view line) {
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || !all_tchars(line.substr(0, sp1))) {
    return http_error::bad_method;
  }
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return http_error::bad_target;
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty()) return http_error::bad_target;
  for (const char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return http_error::bad_target;
  }
  const int version = parse_version(line.substr(sp2 + 1));
  if (version < 0) return http_error::bad_version;
  head_.method.assign(line.data(), sp1);
  head_.target.assign(target.data(), target.size());
  head_.version = version;
  return {};
}

error_code Http1Parser::parse_status_line(std::string_view line) {
  const int version = parse_version(line.substr(0, 8));
  if (version < 0) return http_error::bad_version;
  if (line.size() < 12 || line[8] != ' ') return http_error::bad_status;
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return http_error::bad_status;
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100) return http_error::bad_status;
  if (line.size() > 12 && (line[12] != ' ' || !all_value_chars(line.substr(13)))) {
    return http_error::bad_reason;
  }
  head_.status = status;
  head_.version = version;
  return {};
}

error_code Http1Parser::parse_field(std::string_view line) {
  HeaderFields& h = head_.headers;
  if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
    // obs-fold: the line continues the previous field's value, joined by a space.
    if (h.fields.empty()) return http_error::bad_obs_fold;
    const std::string_view more = trim(line);  // its bytes are checked with the head's
    if (!more.empty()) {
      h.text.push_back(' ');
      h.text.append(more);
      h.fields.back().value_len += static_cast<uint32_t>(1 + more.size());
    }
    return {};
  }
  size_t colon = 0;
  while (colon < line.size() && is(kTchar, line[colon])) ++colon;
  if (colon == 0 || colon == line.size() || line[colon] != ':') return http_error::bad_field;
  const std::string_view value = trim(line.substr(colon + 1));  // checked with the head's bytes
  // One copy of the line up to its value's end; the name and the value are spans of it (and an
  // obs-fold can still extend the value, which ends the text).
  const auto at = static_cast<uint32_t>(h.text.size());
  const auto value_at = static_cast<uint32_t>(value.data() - line.data());
  h.text.append(line.data(), value_at + value.size());
  h.fields.push_back(
      {at, static_cast<uint32_t>(colon), at + value_at, static_cast<uint32_t>(value.size())});
  return {};
}

error_code Http1Parser::frame_body() {
  const HeaderFields& h = head_.headers;
  bool has_te = false;
  bool te_ok = true;
  for (const HeaderFields::Field& f : h.fields) {
    // Only three names frame a message: skip the rest by their length alone.
    if (f.name_len != 14 && f.name_len != 17 && f.name_len != 10) continue;
    const std::string_view name = std::string_view(h.text).substr(f.name_at, f.name_len);
    const std::string_view value = std::string_view(h.text).substr(f.value_at, f.value_len);
    if (name_is(name, "content-length")) {
      bool bad = false;
      for_each_token(value, [&](std::string_view token) {
        const auto n = parse_length(token);
        if (!n || (has_length_ && *n != length_)) bad = true;
        if (n) length_ = *n;
        has_length_ = true;
      });
      if (bad || !has_length_) return http_error::bad_content_length;
    } else if (name_is(name, "transfer-encoding")) {
      // Chunked must be the last coding; a request may have no other (accord decodes none).
      for_each_token(value, [&](std::string_view token) {
        if (chunked_) te_ok = false;  // anything after chunked
        chunked_ = name_is(token, "chunked");
        if (!chunked_ && kind_ == Kind::kRequest) te_ok = false;
      });
      has_te = true;
    } else if (name_is(name, "connection")) {
      for_each_token(value, [&](std::string_view token) {
        if (name_is(token, "close")) close_ = true;
        if (name_is(token, "keep-alive")) keep_alive_token_ = true;
      });
    }
  }
  if (has_te) {
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0, or beside Content-Length in a request, is
    // faulty framing (the classic request-smuggling shapes).
    if (kind_ == Kind::kRequest && (!te_ok || !chunked_ || has_length_ || head_.version < 11)) {
      return http_error::bad_transfer_encoding;
    }
    if (kind_ == Kind::kResponse && !te_ok) chunked_ = false;
  }
  if (kind_ == Kind::kResponse) {
    const int s = head_.status;
    if (s >= 100 && s < 200 && s != 101) {  // interim: the final response's head follows
      return {};
    }
    if (s == 101 || s == 204 || s == 304) {
      if (s == 101) close_ = true;
      finish();
      return {};
    }
  }
  if (chunked_) {
    state_ = State::kChunkSize;
    return {};
  }
  if (has_length_) {
    if (length_ > body_limit_) return http_error::body_limit;
    if (sink_ != nullptr) sink_->reserve(sink_->size() + length_ + padding_);
    remaining_ = length_;
    if (length_ == 0) {
      finish();
    } else {
      state_ = State::kLength;
    }
    return {};
  }
  if (kind_ == Kind::kResponse) {  // no length, or a coding other than chunked: to the close
    state_ = State::kToEof;
    close_ = true;
    return {};
  }
  finish();  // a request without Content-Length or Transfer-Encoding has no body
  return {};
}

size_t Http1Parser::put_chunk_size(std::string_view in, error_code& ec) {
  const size_t lf = in.find('\n');
  if (lf == std::string_view::npos) {
    if (in.size() > kMaxChunkSizeLine) ec = http_error::bad_chunk;
    return 0;
  }
  if (lf == 0 || in[lf - 1] != '\r' || lf > kMaxChunkSizeLine) {
    ec = http_error::bad_chunk;
    return 0;
  }
  const std::string_view line = in.substr(0, lf - 1);
  uint64_t size = 0;
  size_t i = 0;
  for (; i < line.size(); ++i) {
    const char c = line[i];
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') digit = (c | 0x20) - 'a' + 10;
    if (digit < 0) break;
    if (i >= 15) {  // beyond 2^60: no body is that large
      ec = http_error::bad_chunk;
      return 0;
    }
    size = size * 16 + static_cast<uint64_t>(digit);
  }
  if (i == 0) {
    ec = http_error::bad_chunk;
    return 0;
  }
  const std::string_view ext = trim(line.substr(i));
  if (!ext.empty() && (ext[0] != ';' || !all_value_chars(ext))) {
    ec = http_error::bad_chunk_extension;
    return 0;
  }
  if (size == 0) {
    state_ = State::kTrailers;
    return lf + 1;
  }
  if (body_size_ + size > body_limit_) {
    ec = http_error::body_limit;
    return 0;
  }
  if (sink_ != nullptr) sink_->reserve(sink_->size() + size + padding_);
  remaining_ = size;
  state_ = State::kChunkData;
  return lf + 1;
}

size_t Http1Parser::put_trailers(std::string_view in, error_code& ec) {
  // Trailer fields are read past (accord uses none), each line checked, all under the head limit.
  size_t used = 0;
  for (;;) {
    const size_t lf = in.find('\n', used);
    if (lf == std::string_view::npos) {
      if (trailer_bytes_ + in.size() - used > header_limit_) ec = http_error::header_limit;
      return used;
    }
    if (lf == used || in[lf - 1] != '\r') {
      ec = http_error::bad_line_ending;
      return used;
    }
    const std::string_view line = in.substr(used, lf - 1 - used);
    trailer_bytes_ += lf + 1 - used;
    if (trailer_bytes_ > header_limit_) {
      ec = http_error::header_limit;
      return used;
    }
    used = lf + 1;
    if (line.empty()) {
      finish();
      return used;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !all_tchars(line.substr(0, colon)) ||
        !all_value_chars(line.substr(colon + 1))) {
      ec = http_error::bad_field;
      return used;
    }
  }
}

error_code Http1Parser::take_body(std::string_view bytes) {
  body_size_ += bytes.size();
  if (body_size_ > body_limit_) return http_error::body_limit;
  if (sink_ != nullptr) sink_->append(bytes.data(), bytes.size());
  return {};
}

void Http1Parser::finish() {
  state_ = State::kDone;
  if (sink_ != nullptr && padding_ > 0 && sink_->capacity() < sink_->size() + padding_) {
    sink_->reserve(sink_->size() + padding_);
  }
}

}  // namespace accord
