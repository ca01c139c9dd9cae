// A new API key's secret: "sk-accord-" and 32 random base62 characters (about 190 bits).
#pragma once

#include <string>

namespace accord {

std::string new_api_key();

}  // namespace accord
