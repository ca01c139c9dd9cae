#include "trace/trace_context.h"

#include <algorithm>
#include <random>

namespace accord {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // the spec allows lowercase only
}

// `2 * N` lowercase hex digits into `out`; false on any other character.
template <size_t N>
bool parse_hex(std::string_view s, std::array<uint8_t, N>& out) {
  for (size_t i = 0; i < N; ++i) {
    const int hi = hex_value(s[2 * i]);
    const int lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

template <size_t N>
char* write_hex(const std::array<uint8_t, N>& bytes, char* out) {
  for (const uint8_t b : bytes) {
    *out++ = kHex[b >> 4];
    *out++ = kHex[b & 15];
  }
  return out;
}

template <size_t N>
bool any_set(const std::array<uint8_t, N>& bytes) {
  return std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; });
}

// xoshiro256**: fast, and good enough for ids that must be unique, not secret.
class IdGenerator {
 public:
  IdGenerator() {
    std::random_device os;
    for (uint64_t& s : state_) s = uint64_t{os()} << 32 | os();
  }
  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

uint64_t random_word() {
  thread_local IdGenerator generator;
  return generator.next();
}

void fill_random(uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t w = random_word();
    for (size_t j = i; j < i + 8 && j < n; ++j, w >>= 8) out[j] = static_cast<uint8_t>(w);
  }
}

template <class Id>
Id new_id() {
  Id id;
  do {
    fill_random(id.bytes.data(), id.bytes.size());
  } while (!id.valid());
  return id;
}

}  // namespace

bool TraceId::valid() const {
  return any_set(bytes);
}

bool SpanId::valid() const {
  return any_set(bytes);
}

std::optional<TraceParent> parse_traceparent(std::string_view h) {
  if (h.size() < kTraceParentSize) return std::nullopt;
  std::array<uint8_t, 1> version{};
  if (!parse_hex(h.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
  // Version 00 is exactly 55 characters; a later version may add fields after a '-'.
  if (version[0] == 0 ? h.size() != kTraceParentSize
                      : h.size() > kTraceParentSize && h[kTraceParentSize] != '-') {
    return std::nullopt;
  }
  if (h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  TraceParent p;
  std::array<uint8_t, 1> flags{};
  if (!parse_hex(h.substr(3, 32), p.trace_id.bytes) ||
      !parse_hex(h.substr(36, 16), p.parent_id.bytes) || !parse_hex(h.substr(53, 2), flags)) {
    return std::nullopt;
  }
  if (!p.trace_id.valid() || !p.parent_id.valid()) return std::nullopt;
  p.flags = flags[0];
  return p;
}

void format_traceparent(const TraceId& trace_id, const SpanId& span_id, bool sampled,
                        char (&out)[kTraceParentSize]) {
  char* p = out;
  *p++ = '0';
  *p++ = '0';
  *p++ = '-';
  p = write_hex(trace_id.bytes, p);
  *p++ = '-';
  p = write_hex(span_id.bytes, p);
  *p++ = '-';
  *p++ = '0';
  *p = sampled ? '1' : '0';
}

bool valid_tracestate(std::string_view h) {
  if (h.empty() || h.size() > kMaxTraceStateSize) return false;
  return std::all_of(h.begin(), h.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

TraceId new_trace_id() {
  return new_id<TraceId>();
}

SpanId new_span_id() {
  return new_id<SpanId>();
}

void append_hex(std::string& out, const TraceId& id) {
  char hex[32];
  write_hex(id.bytes, hex);
  out.append(hex, sizeof hex);
}

void append_hex(std::string& out, const SpanId& id) {
  char hex[16];
  write_hex(id.bytes, hex);
  out.append(hex, sizeof hex);
}

}  // namespace accord
