#include "ledger/report/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "agreement/loader.h"
#include "core/rfc3339.h"
#include "ledger/ledger.h"

namespace accord {
namespace {

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "report-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    path_ = dir_ + "/ledger.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::vector<UsageRecord>& records) {
    auto store = open_sqlite_store({path_, false});
    ASSERT_TRUE(store.ok());
    Ledger ledger(std::move(store.value()), LedgerOptions{});
    for (const UsageRecord& r : records) ledger.append(r);
    ASSERT_TRUE(ledger.flush(10'000));
  }

  static UsageRecord rec(const std::shared_ptr<const Agreement>& a, const char* party,
                         const char* model, int64_t prompt, int64_t completion, int index) {
    UsageRecord r;
    r.agreement = a;
    r.time_ms = *parse_rfc3339("2026-11-10T12:00:00Z") + index * 3'600'000LL;
    r.request_id = RequestId(std::string("req-") + party + std::to_string(index));
    r.party = *a->find_party(party);
    r.model = *a->find_model(model);
    r.pool = a->models[r.model].pool;
    for (size_t k = 0; k < a->keys.size(); ++k) {
      if (a->keys[k].party == r.party) r.key = static_cast<int32_t>(k);
    }
    r.status = 200;
    r.prompt_tokens = prompt;
    r.completion_tokens = completion;
    return r;
  }

  std::string dir_, path_;
};

TEST_F(ReportTest, SlaAndSettlementToTheMicroDollar) {
  const auto a = load_agreement_file(ACCORD_SOURCE_DIR "/examples/demo.yaml").agreement;
  std::vector<UsageRecord> records;
  // copilot on frontier-2 (its reservation): 98 served, TTFT 100..197 ms, 20 ms per token;
  // 1000 in + 500 out at $2.50/$10 per million = 7,500 µ$ list, 6,375 after its 15%.
  for (int i = 0; i < 98; ++i) {
    UsageRecord r = rec(a, "copilot", "frontier-2", 1000, 500, i);
    r.reserved = true;
    r.ttft_ms = 100 + i;
    r.total_ms = r.ttft_ms + 499 * 20;
    r.list_cost_micro_usd = 7500;
    r.cost_micro_usd = 6375;
    records.push_back(r);
  }
  UsageRecord ours = rec(a, "copilot", "frontier-2", 0, 0, 98);  // a failure of ours
  ours.reserved = true;
  ours.status = 503;
  ours.failed = true;
  ours.error_kind = ErrorKind::kUnavailable;
  ours.error_source = ErrorSource::kInternal;
  records.push_back(ours);
  UsageRecord theirs = ours;  // the client's own error: outside the SLA
  theirs.request_id = RequestId("req-bad");
  theirs.status = 400;
  theirs.error_kind = ErrorKind::kInvalidRequest;
  theirs.error_source = ErrorSource::kClient;
  records.push_back(theirs);
  // acme on swift-1: 10 × (100 in + 50 out at $0.20/$0.80) = 10 × 60 µ$, no discount.
  for (int i = 0; i < 10; ++i) {
    UsageRecord r = rec(a, "acme", "swift-1", 100, 50, i);
    r.list_cost_micro_usd = r.cost_micro_usd = 60;
    records.push_back(r);
  }
  UsageRecord december = rec(a, "acme", "swift-1", 100, 50, 11);  // outside the period
  december.time_ms = *parse_rfc3339("2026-12-01T00:00:00Z");
  december.cost_micro_usd = 1'000'000;
  records.push_back(december);
  write(records);

  auto report = build_report(*a, path_, parse_month("2026-11").value(), std::nullopt);
  ASSERT_TRUE(report.ok()) << report.error().message;
  const Report& r = report.value();

  ASSERT_EQ(r.reservations.size(), 1u);
  const ReservationLine& s = r.reservations[0];
  EXPECT_EQ(s.eligible, 99);  // 98 served + 1 failure of ours; the 400 is not counted
  EXPECT_EQ(s.failed_ours, 1);
  EXPECT_EQ(s.availability_ppm, 989'898);  // 98 / 99
  EXPECT_EQ(s.ttft.p50_us, 148'000);
  EXPECT_EQ(s.ttft.p95_us, 193'000);
  EXPECT_EQ(s.ttft.p99_us, 197'000);
  EXPECT_EQ(s.tpot.p50_us, 20'000);
  EXPECT_EQ(s.attained, 98);
  EXPECT_EQ(s.credit_ppm, 250'000);        // below 99.0: 25%
  EXPECT_EQ(s.credit_micro_usd, 156'188);  // 25% of 624,750, halves up

  ASSERT_EQ(r.settlement.size(), 2u);
  const SettlementLine& acme = r.settlement[0];
  const SettlementLine& copilot = r.settlement[1];
  EXPECT_EQ(acme.party, "acme");
  EXPECT_EQ(acme.owed_micro_usd, 600);
  EXPECT_EQ(copilot.list_micro_usd, 735'000);
  EXPECT_EQ(copilot.discount_micro_usd, 110'250);
  EXPECT_EQ(copilot.net_micro_usd, 624'750);
  EXPECT_EQ(copilot.credit_micro_usd, 156'188);
  EXPECT_EQ(copilot.owed_micro_usd, 468'562);
  // The parts add up to the whole.
  EXPECT_EQ(r.owed_total_micro_usd, 469'162);
  EXPECT_EQ(r.revenue_total_micro_usd, r.owed_total_micro_usd);
  for (const SettlementLine& line : r.settlement) {
    EXPECT_EQ(line.list_micro_usd - line.discount_micro_usd, line.net_micro_usd);
    EXPECT_EQ(line.net_micro_usd - line.credit_micro_usd, line.owed_micro_usd);
  }
  // 468,562 × 80/20: 374,849.6 and 93,712.4 → the odd micro-dollar goes to the larger remainder.
  int64_t lab = 0, cloud = 0;
  for (const RevenueLine& v : r.revenue) {
    if (v.customer == "copilot") (v.recipient == "lab" ? lab : cloud) += v.amount_micro_usd;
  }
  EXPECT_EQ(lab, 374'850);
  EXPECT_EQ(cloud, 93'712);

  // Usage lines count what was sent, failures included, in the period only.
  int64_t acme_requests = 0;
  for (const UsageLine& u : r.usage) {
    if (u.party == "acme") acme_requests += u.requests;
  }
  EXPECT_EQ(acme_requests, 10);

  // A party sees only its own figures.
  auto mine = build_report(*a, path_, parse_month("2026-11").value(), std::string("acme"));
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->settlement.size(), 1u);
  EXPECT_TRUE(mine->reservations.empty());
  for (const UsageLine& u : mine->usage) EXPECT_EQ(u.party, "acme");

  // Every format renders.
  for (const auto f :
       {ReportFormat::kTable, ReportFormat::kJson, ReportFormat::kCsv, ReportFormat::kHtml}) {
    EXPECT_FALSE(format_report(r, f).empty());
  }
  EXPECT_NE(format_report(r, ReportFormat::kHtml).find("<svg"), std::string::npos);
}

TEST_F(ReportTest, APartysOwnRevenueShareOverridesTheModels) {
  const auto a = load_agreement(R"(parties:
  lab: { role: provider }
  cloud: { role: operator }
  shop: { role: provider }
  direct: { role: customer, tier: t }
  resold: { role: customer, tier: t, revenue_share: { m: { lab: 0.5, shop: 0.4, cloud: 0.1 } } }
tiers:
  t: {}
models:
  m: { owner: lab, pool: p, revenue_share: { lab: 0.8, cloud: 0.2 } }
pools:
  p: { engine: builtin }
keys:
  - { id: k1, party: direct, sha256: "1111111111111111111111111111111111111111111111111111111111111111" }
  - { id: k2, party: resold, sha256: "2222222222222222222222222222222222222222222222222222222222222222" }
)",
                                "a.yaml")
                     .agreement;
  ASSERT_TRUE(a);
  UsageRecord d = rec(a, "direct", "m", 1, 1, 0);
  d.cost_micro_usd = d.list_cost_micro_usd = 1000;
  UsageRecord s = rec(a, "resold", "m", 1, 1, 1);
  s.cost_micro_usd = s.list_cost_micro_usd = 1000;
  write({d, s});
  auto r = build_report(*a, path_, parse_month("2026-11").value(), std::nullopt);
  ASSERT_TRUE(r.ok());
  std::map<std::string, int64_t> resold, direct;
  for (const RevenueLine& v : r->revenue) {
    (v.customer == "resold" ? resold : direct)[v.recipient] += v.amount_micro_usd;
  }
  EXPECT_EQ(direct, (std::map<std::string, int64_t>{{"cloud", 200}, {"lab", 800}}));
  EXPECT_EQ(resold, (std::map<std::string, int64_t>{{"cloud", 100}, {"lab", 500}, {"shop", 400}}));
}

TEST(ReportPeriod, Months) {
  auto p = parse_month("2026-12");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->from, *parse_rfc3339("2026-12-01T00:00:00Z"));
  EXPECT_EQ(p->to, *parse_rfc3339("2027-01-01T00:00:00Z"));
  EXPECT_FALSE(parse_month("2026-13").ok());
  EXPECT_FALSE(parse_month("26-1").ok());
}

}  // namespace
}  // namespace accord
