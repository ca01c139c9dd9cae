// Reading back an error that the pipeline or a backend wrote in OpenAI's shape
// ({"error":{"message","type","param","code"}}), for the APIs that report it in their own.
#pragma once

#include <string_view>

#include "core/error.h"
#include "translate/responses_object.h"

namespace accord {

// Its fields; a body that is not one reads as a server_error with a generic message.
ResponseError openai_error_fields(std::string_view openai_error_json);

// As an accord Error of `kind`, keeping its message, param and code.
Error openai_error_as(ErrorKind kind, std::string_view openai_error_json);

}  // namespace accord
