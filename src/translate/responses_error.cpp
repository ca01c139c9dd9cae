#include "translate/responses_error.h"

#include "http/openai_error.h"

namespace accord {

ResponseError to_response_error(const Error& error) {
  ResponseError out;
  out.type = openai_error_type(error.kind);
  out.code = error.code.empty() ? std::string(openai_error_code(error.kind)) : error.code;
  out.message = error.message;
  out.param = error.param;
  return out;
}

}  // namespace accord
