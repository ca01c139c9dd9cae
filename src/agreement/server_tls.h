// server.tls's certificate and key, read when an agreement is loaded to serve or to check — as
// upstream keys are (agreement/credentials.h), and not for reports, plans or simulations, which
// run where the key is not. A file that cannot be used is reported at the key that names it, so
// `accord check` finds it, and a reload that cannot use its files is refused: the listener keeps
// the certificate it has.
#pragma once

#include "agreement/agreement.h"
#include "agreement/diagnostics.h"

namespace accord {

// Loads tls.context from tls.cert_file and tls.key_file, when TLS is enabled; reports each
// problem as "server.tls.cert: ..." or "server.tls.key: ..." at that key.
void load_server_tls_files(ServerTls& tls, Diagnostics& diagnostics);

}  // namespace accord
