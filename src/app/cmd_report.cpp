#include <fmt/format.h>

#include "agreement/loader.h"
#include "app/commands.h"
#include "ledger/report/report.h"

namespace accord {

int run_report(const ReportOptions& o) {
  const LoadResult loaded = load_agreement_file(o.config, {.read_credentials = false});
  if (!loaded.ok()) {
    for (const std::string& line : loaded.messages()) fmt::print(stderr, "{}\n", line);
    return 1;
  }
  const Agreement& agreement = *loaded.agreement;
  auto period = parse_month(o.period);
  if (!period.ok()) {
    fmt::print(stderr, "--period: {}\n", period.error().message);
    return 1;
  }
  std::optional<std::string> party;
  if (!o.party.empty()) {
    if (!agreement.find_party(o.party)) {
      fmt::print(stderr, "--party: {} names no party\n", o.party);
      return 1;
    }
    party = o.party;
  }
  auto report = build_report(agreement, o.ledger.empty() ? agreement.ledger.path : o.ledger,
                             period.value(), party);
  if (!report.ok()) {
    fmt::print(stderr, "{}\n", report.error().message);
    return 1;
  }
  const ReportFormat format = o.format == "json"   ? ReportFormat::kJson
                              : o.format == "csv"  ? ReportFormat::kCsv
                              : o.format == "html" ? ReportFormat::kHtml
                                                   : ReportFormat::kTable;
  fmt::print("{}", format_report(report.value(), format));
  return 0;
}

}  // namespace accord
