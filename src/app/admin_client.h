// A blocking HTTP/1.1 client for the CLI's calls to a running gateway's admin API (`accord keys
// list|revoke|rotate`). The admin key is read from the environment or a file, never from the
// command line (where `ps` would show it).
#pragma once

#include <string>

#include "core/result.h"

namespace accord {

struct AdminTarget {
  std::string url = "http://127.0.0.1:8080";  // the gateway's base URL
  std::string key_env = "ACCORD_ADMIN_KEY";   // where the admin key is read from
  std::string key_file;                       // or this file, when set
};

struct AdminReply {
  int status = 0;
  std::string body;
};

// `method` `path` with `body` (JSON; "" for none). Errors: the key cannot be read, the URL is not
// http://HOST:PORT, or the gateway cannot be reached.
Result<AdminReply> admin_call(const AdminTarget& target, std::string_view method,
                              std::string_view path, std::string_view body);

}  // namespace accord
