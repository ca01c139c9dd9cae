// The simulator's report: a table for the terminal, JSON, and a self-contained HTML page with
// time-series charts (served rate per party against its reservation, queue depth, TTFT p99).
#pragma once

#include <string>

#include "sim/simulator.h"

namespace accord {

std::string sim_table(const SimResult& r);
std::string sim_json(const SimResult& r);
std::string sim_html(const SimResult& r, const std::string& title);

}  // namespace accord
