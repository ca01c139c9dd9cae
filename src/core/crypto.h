// Hashes, encodings and randomness from OpenSSL.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace accord {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest sha256(std::string_view data);
std::string to_hex(std::span<const uint8_t> bytes);
// Parses exactly 64 hex digits (either case).
std::optional<Sha256Digest> parse_sha256_hex(std::string_view hex);
// Compares in time independent of where the inputs differ.
bool constant_time_equal(const Sha256Digest& a, const Sha256Digest& b);

std::string base64_encode(std::span<const uint8_t> bytes);
// Fills `out` with cryptographically strong random bytes. Aborts if the system has none.
void random_bytes(std::span<uint8_t> out);

}  // namespace accord
