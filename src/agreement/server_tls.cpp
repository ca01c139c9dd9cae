#include "agreement/server_tls.h"

#include <fmt/format.h>

#include "http/tls_server.h"

namespace accord {

void load_server_tls_files(ServerTls& tls, Diagnostics& diagnostics) {
  if (!tls.enabled()) return;
  TlsServerContext::File failed = TlsServerContext::File::kCert;
  auto loaded = TlsServerContext::load(tls.cert_file, tls.key_file, &failed);
  if (loaded.ok()) {
    tls.context = std::move(loaded.value());
    return;
  }
  const bool cert = failed == TlsServerContext::File::kCert;
  diagnostics.add(cert ? tls.cert_pos : tls.key_pos,
                  fmt::format("server.tls.{}: {}", cert ? "cert" : "key", loaded.error().message));
}

}  // namespace accord
