#include "ledger/writer_share.h"

#include <sched.h>
#include <spdlog/spdlog.h>

namespace accord {

void WriterShare::set_behind(bool behind) {
  if (behind == behind_ || (behind && !may_catch_up_)) return;
  const sched_param param{};
  if (sched_setscheduler(0, behind ? SCHED_OTHER : SCHED_IDLE, &param) != 0) {
    if (behind) {
      may_catch_up_ = false;
      spdlog::warn(
          "the ledger writer cannot raise its priority to catch up (it needs "
          "CAP_SYS_NICE); back-pressure will slow admission instead");
    }
    return;
  }
  behind_ = behind;
}

}  // namespace accord
