#include "ledger/usage_record.h"

namespace accord {

const char* class_name(SchedClass c) {
  return to_string(c);
}

const char* error_source_name(ErrorSource s) {
  switch (s) {
    case ErrorSource::kClient:
      return "client";
    case ErrorSource::kUpstream:
      return "upstream";
    case ErrorSource::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace accord
