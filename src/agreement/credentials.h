// Upstream credentials: one rule for every secret an agreement names. A key comes from an
// environment variable (api_key_env) or a file (api_key_file: its content, surrounding
// whitespace trimmed; a relative path is taken from the working directory), named on a pool or on
// one endpoint, whose own overrides the pool's.
//
// Keys are read when an agreement is loaded or reloaded, never per request: `accord check` and
// every load for serving read them once to report what cannot be read, and each snapshot build
// reads them again for its endpoints (gateway/snapshot.h), so a reload picks up a rotated file.
// A key is never written anywhere: errors name the agreement's key and the variable or file,
// never the content.
#pragma once

#include <string>

#include "agreement/agreement.h"
#include "agreement/diagnostics.h"
#include "core/result.h"

namespace accord {

// The key `credential` names, or "" when it names none. Errors (kInvalidRequest, internal):
// "pools.up.api_key_env: environment variable OPENAI_API_KEY is not set", a file that cannot
// be read, an empty key, or one holding a control character (it goes into a header line).
Result<std::string> read_credential(const UpstreamCredential& credential);

// Reads every credential of every upstream pool once and reports each that cannot be read, at
// the key that names it (once, though several endpoints share a pool's).
void check_credentials(const Agreement& agreement, Diagnostics& diagnostics);

}  // namespace accord
