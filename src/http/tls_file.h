// read_tls_file(): the whole of a PEM file that TLS is configured with — a CA bundle, a
// certificate chain, a private key — read once when an agreement is loaded, never per connection.
#pragma once

#include <string>

#include "core/result.h"

namespace accord {

// The file's content, or kInvalidRequest "cannot read PATH: REASON" (errno's words, never the
// content: a key file's content is a secret).
Result<std::string> read_tls_file(const std::string& path);

}  // namespace accord
