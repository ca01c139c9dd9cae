#include "gateway/agreement_store.h"

#include "agreement/loader.h"

namespace accord {

ReloadResult AgreementStore::reload() {
  std::lock_guard lock(reload_mu_);
  ReloadResult result;
  LoadResult loaded = load_agreement_file(path_);
  if (!loaded.ok()) {
    result.errors = loaded.messages();
    return result;
  }
  const auto previous = current();
  result.summary = summarize(*loaded.agreement);
  current_.store(build_snapshot(loaded.agreement, previous.get(), loops_, clock_, options_),
                 std::memory_order_release);
  result.ok = true;
  return result;
}

}  // namespace accord
