#include "gateway/agreement_store.h"

#include "agreement/loader.h"
#include "keys/merge_keys.h"

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
  base_ = loaded.agreement;
  current_.store(
      build_snapshot(with_managed_keys(base_, managed_), previous.get(), loops_, clock_, options_),
      std::memory_order_release);
  result.ok = true;
  return result;
}

void AgreementStore::publish_keys(std::vector<ManagedKey> keys) {
  std::lock_guard lock(reload_mu_);
  managed_ = std::move(keys);
  const auto previous = current();
  current_.store(
      build_snapshot(with_managed_keys(base_, managed_), previous.get(), loops_, clock_, options_),
      std::memory_order_release);
}

}  // namespace accord
