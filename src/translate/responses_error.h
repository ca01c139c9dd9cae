// An accord Error in the Responses API's words (translate/responses_object.h's ResponseError),
// from the one table in http/openai_error.h. Apart from the translators so that they build
// without http/ (the fuzzers do).
#pragma once

#include "core/error.h"
#include "translate/responses_object.h"

namespace accord {

// type and code as openai_error_body() writes them (the Error's own code first).
ResponseError to_response_error(const Error& error);

}  // namespace accord
