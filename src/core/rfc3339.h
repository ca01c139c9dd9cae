// RFC 3339 timestamps ("2026-11-01T00:00:00Z", "2026-11-01T09:30:00.250+02:00").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace accord {

// Parses a full RFC 3339 date-time with a time zone (Z or ±hh:mm). Returns nullopt otherwise.
std::optional<UnixMillis> parse_rfc3339(std::string_view text);

// Formats as "YYYY-MM-DDTHH:MM:SSZ", adding ".mmm" only when the milliseconds are not zero.
std::string format_rfc3339(UnixMillis t);

}  // namespace accord
