// The query string of a request target: one parameter's value, percent-decoded.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace accord {

// The first value of `name` in `target`'s query ("/x?a=1&b=%20" → b is " "); nullopt if absent.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

}  // namespace accord
