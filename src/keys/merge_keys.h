// The keys made through the keys API, joined to the agreement's own: the gateway authenticates,
// limits and bills both alike (a key's counters and budget are its id's, as for a key in the
// file). A managed key names its party and models by name, resolved against the agreement at
// hand: a key whose party has left the agreement is dropped, and a model that has left is no
// longer among those a restricted key may call.
#pragma once

#include <memory>
#include <vector>

#include "agreement/agreement.h"
#include "ledger/key_store.h"

namespace accord {

// `base` itself when there are no managed keys; else a copy with them appended to its keys (a
// managed key whose id the file already uses is left out, with a warning in the log).
std::shared_ptr<const Agreement> with_managed_keys(std::shared_ptr<const Agreement> base,
                                                   const std::vector<ManagedKey>& managed);

}  // namespace accord
