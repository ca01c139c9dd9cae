#include "http/request_parser.h"

#include "core/strings.h"

namespace accord {

std::string_view RequestData::header(std::string_view name) const {
  for (const Field& f : fields) {
    if (iequals(std::string_view(header_text).substr(f.name_at, f.name_len), name)) {
      return std::string_view(header_text).substr(f.value_at, f.value_len);
    }
  }
  return {};
}

}  // namespace accord
