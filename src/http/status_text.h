// Reason phrases for the status lines accord writes.
#pragma once

#include <string_view>

namespace accord {

std::string_view status_reason(int status);

}  // namespace accord
