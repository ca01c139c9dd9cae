#include "apis/error_fields.h"

#include <simdjson.h>

namespace accord {

ResponseError openai_error_fields(std::string_view openai_error_json) {
  ResponseError e{"server_error", "", "The request failed.", ""};
  const simdjson::padded_string json(openai_error_json);
  simdjson::dom::parser parser;
  simdjson::dom::object error;
  if (parser.parse(json)["error"].get(error)) return e;
  std::string_view v;
  if (!error["message"].get(v)) e.message = v;
  if (!error["type"].get(v)) e.type = v;
  if (!error["code"].get(v)) e.code = v;
  if (!error["param"].get(v)) e.param = v;
  return e;
}

Error openai_error_as(ErrorKind kind, std::string_view openai_error_json) {
  const ResponseError fields = openai_error_fields(openai_error_json);
  Error e = Error::upstream(kind, fields.message, false);
  e.param = fields.param;
  e.code = fields.code;
  return e;
}

}  // namespace accord
