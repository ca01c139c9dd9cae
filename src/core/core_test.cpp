#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/crypto.h"
#include "core/decimal.h"
#include "core/find_bytes.h"
#include "core/json_writer.h"
#include "core/rfc3339.h"
#include "core/strings.h"

namespace accord {
namespace {

TEST(Rfc3339, ParsesZonesAndFractions) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2026-11-01T00:00:00Z"), 1793491200000);
  EXPECT_EQ(parse_rfc3339("2026-11-01T02:00:00+02:00"), 1793491200000);
  EXPECT_EQ(parse_rfc3339("2026-11-01T00:00:00.250Z"), 1793491200250);
  for (const char* bad : {"2026-11-01", "2026-02-30T00:00:00Z", "2026-11-01T24:00:00Z",
                          "2026-11-01T00:00:00", "2026-11-01T00:00:00Zjunk", "tomorrow"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_rfc3339(1793491200000), "2026-11-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1793491200250), "2026-11-01T00:00:00.250Z");
}

TEST(Decimal, ExactMicros) {
  EXPECT_EQ(parse_decimal_micros("2.50"), 2'500'000);
  EXPECT_EQ(parse_decimal_micros("0.1"), 100'000);
  EXPECT_EQ(parse_decimal_micros("-0.000001"), -1);
  EXPECT_EQ(parse_decimal_micros("12"), 12'000'000);
  EXPECT_EQ(parse_decimal_micros("1.0000000"), 1'000'000);
  EXPECT_FALSE(parse_decimal_micros("1.0000001").has_value());
  EXPECT_FALSE(parse_decimal_micros("1e3").has_value());
  EXPECT_FALSE(parse_decimal_micros(".").has_value());
  EXPECT_EQ(format_micros(2'500'000), "2.5");
  EXPECT_EQ(format_micros(-1), "-0.000001");
  EXPECT_EQ(format_micros(3'000'000), "3");
}

TEST(Crypto, Sha256AndHex) {
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const auto d =
      parse_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(constant_time_equal(*d, sha256("abc")));
  EXPECT_FALSE(parse_sha256_hex("xyz").has_value());
  const std::vector<uint8_t> bytes{'h', 'i', '!'};
  EXPECT_EQ(base64_encode(bytes), "aGkh");
}

TEST(JsonWriter, EscapesAndReplacesInvalidUtf8) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("a", "quote\" back\\ nl\n ctl\x01").field("n", int64_t{-3});
  w.key("list").begin_array().value(1.5).null().value(true).end_array();
  w.field("bad", std::string_view("ok\xff\xc3\xa9", 5)).end_object();
  EXPECT_EQ(out,
            "{\"a\":\"quote\\\" back\\\\ nl\\n ctl\\u0001\",\"n\":-3,\"list\":[1.5,null,true],"
            "\"bad\":\"ok\xef\xbf\xbd\xc3\xa9\"}");
}

// The eight-bytes-at-a-time scan finds every byte that needs escaping or UTF-8 checking, wherever
// it falls in a string of every length around the eight-byte groups: each special byte put at
// each position of a plain string is escaped as a lone byte would be.
TEST(JsonWriter, EscapesASpecialByteAtEveryPosition) {
  const std::pair<char, std::string> specials[] = {{'"', "\\\""},
                                                   {'\\', "\\\\"},
                                                   {'\n', "\\n"},
                                                   {'\x1f', "\\u001f"},
                                                   {'\x00', "\\u0000"},
                                                   {'\x7f', "\x7f"},
                                                   {'\xff', "\xef\xbf\xbd"},
                                                   {' ', " "}};
  for (size_t length = 1; length <= 33; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (const auto& [byte, escaped] : specials) {
        std::string s(length, 'a');
        s[at] = byte;
        std::string out;
        append_json_string(out, s);
        std::string expected = "\"";  // (appended: GCC 12 warns falsely on a chain of +)
        expected.append(at, 'a').append(escaped).append(length - at - 1, 'a').push_back('"');
        ASSERT_EQ(out, expected) << "length " << length << ", at " << at;
      }
    }
  }
}

TEST(Rfc3339, FormatsEveryField) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(951782399007), "2000-02-28T23:59:59.007Z");
  EXPECT_EQ(format_rfc3339(253402300799999), "9999-12-31T23:59:59.999Z");
}

// find_bytes() agrees with string_view::find on haystacks of every length around the 16-byte
// blocks, needles of 1 to 9 bytes, at every position (and absent), over a small alphabet so that
// partial matches are common.
TEST(FindBytes, AgreesWithFind) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> letter(0, 3);
  for (size_t n = 0; n < 70; ++n) {
    std::string hay(n, 'a');
    for (char& c : hay) c = static_cast<char>('a' + letter(rng));
    for (size_t k = 1; k <= 9; ++k) {
      for (size_t at = 0; at + k <= n + 1; ++at) {
        std::string needle = at + k <= n ? hay.substr(at, k) : std::string(k, 'z');
        ASSERT_EQ(find_bytes(hay, needle), std::string_view(hay).find(needle))
            << "haystack " << hay << ", needle " << needle;
      }
    }
  }
  EXPECT_EQ(find_bytes("abc", ""), 0u);
  const std::string sse = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1}}\n\n";
  EXPECT_EQ(find_bytes(sse, "usage\""), sse.find("usage\""));
}

TEST(Strings, CaseInsensitive) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(istarts_with("bearer x", "Bearer "));
  EXPECT_EQ(trim("  a b \t"), "a b");
}

}  // namespace
}  // namespace accord
