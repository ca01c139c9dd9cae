// Small string helpers shared across the code (ASCII only: HTTP tokens, header names).
#pragma once

#include <string_view>
#include <vector>

namespace accord {

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

constexpr std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each element of a comma-separated list (an HTTP field's value), blanks
// trimmed, empty elements skipped.
template <class F>
void for_each_token(std::string_view list, F&& f) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view token = trim(list.substr(0, comma));
    if (!token.empty()) f(token);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// Splits on `sep`, trimming blanks (and a CR) around each field; "" gives one empty field.
inline std::vector<std::string_view> split_string(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    const size_t at = s.find(sep, start);
    std::string_view field = s.substr(start, at == std::string_view::npos ? at : at - start);
    if (!field.empty() && field.back() == '\r') field.remove_suffix(1);
    out.push_back(trim(field));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

}  // namespace accord
