#include "runtime/backend_run.h"

namespace accord {

Error preempted_error() {
  Error e = Error::internal(ErrorKind::kPreempted,
                            "This request was stopped to give its capacity back to reserved work "
                            "(it runs on preemptible capacity).");
  e.code = "preempted";
  return e;
}

}  // namespace accord
