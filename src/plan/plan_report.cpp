// accord plan's output: a table, JSON, an HTML page, and the Kueue manifests.
#include <fmt/format.h>

#include "core/html.h"
#include "core/json_writer.h"
#include "plan/planner.h"

namespace accord {

std::string plan_table(const Plan& p) {
  std::string out =
      fmt::format("{:<12} {:<6} {:>3} {:>8} {:>8} {:>8} {:>14} {:>14} {:>6}\n", "pool", "gpu", "tp",
                  "current", "minimum", "planned", "reserved tok/s", "breaks at", "util");
  for (const PoolPlan& pp : p.pools) {
    out += fmt::format(
        "{:<12} {:<6} {:>3} {:>8} {:>8} {:>8} {:>14.0f} {:>14} {:>5.1f}%\n", pp.pool, pp.gpu, pp.tp,
        pp.current_gpus, pp.sized ? (pp.feasible ? std::to_string(pp.min_gpus) : "-") : "n/a",
        pp.planned_gpus, pp.reserved_tokens_per_s,
        pp.sized && pp.feasible ? fmt::format("{:.0f}", pp.breaking_tokens_per_s) : "-",
        pp.utilisation * 100);
  }
  out += fmt::format("\n{:<6} {:>9} {:>10} {:>10} {:>9} {:>12} {:>24} {:>24}\n", "gpu", "inventory",
                     "inference", "(minimum)", "research", "may borrow", "inference GPU-h/day used",
                     "research GPU-h/day");
  for (const SplitPlan& s : p.split) {
    out += fmt::format("{:<6} {:>9} {:>10} {:>10} {:>9} {:>12} {:>24} {:>24}\n", s.gpu, s.inventory,
                       s.inference, s.inference_min, s.research, s.research_may_borrow,
                       fmt::format("{:.0f} of {:.0f}", s.inference_gpu_hours_used,
                                   s.inference_gpu_hours_guaranteed),
                       fmt::format("{:.0f} (guaranteed {:.0f})", s.research_gpu_hours_delivered,
                                   s.research_gpu_hours_guaranteed));
  }
  out += fmt::format(
      "\nInference reclaims lent GPUs within {:.0f} s (Kueue preemption and the pods' "
      "grace period).\n",
      p.reclaim_s);
  if (!p.gangs.empty()) {
    out += fmt::format("\n{:<16} {:<6} {:>5}  {}\n", "training gang", "gpu", "gpus", "placed");
    for (const GangPlacement& g : p.gangs) {
      out += fmt::format("{:<16} {:<6} {:>5}  {}\n", g.job, g.gpu, g.gpus, g.where);
    }
    out += fmt::format(
        "{:.0f}% of the placed gangs in one NVLink domain or rack; {:.0f}% of the "
        "free research GPUs stranded in partly used nodes\n",
        p.single_domain_fraction * 100, p.fragmentation * 100);
  }
  for (const std::string& problem : p.problems) out += "problem: " + problem + "\n";
  out += p.feasible ? "feasible\n" : "INFEASIBLE\n";
  return out;
}

std::string plan_json(const Plan& p) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("feasible", p.feasible).key("problems").begin_array();
  for (const std::string& s : p.problems) w.value(s);
  w.end_array().key("pools").begin_array();
  for (const PoolPlan& pp : p.pools) {
    w.begin_object().field("pool", pp.pool).field("gpu", pp.gpu).field("tp", pp.tp);
    w.field("current_gpus", pp.current_gpus)
        .field("sized", pp.sized)
        .field("feasible", pp.feasible);
    w.field("min_gpus", pp.min_gpus).field("planned_gpus", pp.planned_gpus);
    w.field("reserved_tokens_per_s", pp.reserved_tokens_per_s);
    w.field("breaking_tokens_per_s", pp.breaking_tokens_per_s).field("utilisation", pp.utilisation);
    w.end_object();
  }
  w.end_array().key("split").begin_array();
  for (const SplitPlan& s : p.split) {
    w.begin_object().field("gpu", s.gpu).field("inventory", s.inventory);
    w.field("inference", s.inference).field("inference_min", s.inference_min);
    w.field("research", s.research).field("research_may_borrow", s.research_may_borrow);
    w.field("inference_gpu_hours_guaranteed", s.inference_gpu_hours_guaranteed);
    w.field("inference_gpu_hours_used", s.inference_gpu_hours_used);
    w.field("research_gpu_hours_guaranteed", s.research_gpu_hours_guaranteed);
    w.field("research_gpu_hours_delivered", s.research_gpu_hours_delivered);
    w.field("reclaims_per_day", s.reclaims_per_day).end_object();
  }
  w.end_array().field("reclaim_s", p.reclaim_s).key("gangs").begin_array();
  for (const GangPlacement& g : p.gangs) {
    w.begin_object().field("job", g.job).field("gpu", g.gpu).field("gpus", g.gpus);
    w.field("placed", g.placed).field("single_domain", g.single_domain).field("where", g.where);
    w.end_object();
  }
  w.end_array().field("single_domain_fraction", p.single_domain_fraction);
  w.field("fragmentation", p.fragmentation).end_object();
  return out;
}

std::string plan_html(const Plan& p, const std::string& title) {
  std::string pools, split, gangs;
  for (const PoolPlan& pp : p.pools) {
    pools += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0f}</"
        "td><td>{:.0f}</td></tr>",
        html_escape(pp.pool), html_escape(pp.gpu), pp.tp, pp.current_gpus,
        pp.sized ? std::to_string(pp.min_gpus) : "n/a", pp.planned_gpus, pp.reserved_tokens_per_s,
        pp.breaking_tokens_per_s);
  }
  for (const SplitPlan& s : p.split) {
    const double inf = s.inventory > 0 ? 100.0 * s.inference / s.inventory : 0;
    split += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{} (min {})</td><td>{}</td><td>{}</td><td><div "
        "style=\"display:flex;height:14px;width:240px;background:#8c8\"><div "
        "style=\"width:{:.1f}%;background:#58c\"></div></div></td></tr>",
        html_escape(s.gpu), s.inventory, s.inference, s.inference_min, s.research,
        s.research_may_borrow, inf);
  }
  for (const GangPlacement& g : p.gangs) {
    gangs += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                         html_escape(g.job), html_escape(g.gpu), g.gpus, html_escape(g.where));
  }
  std::string problems;
  for (const std::string& s : p.problems) problems += "<li>" + html_escape(s) + "</li>";
  return fmt::format(
      R"(<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{0}</title>
<style>body{{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px}}table{{border-collapse:collapse;width:100%;margin-bottom:20px}}
th,td{{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}}</style></head><body><h1>{0}</h1>
<p><b>{1}</b></p><ul>{2}</ul>
<h2>Pools</h2><table><tr><th>pool</th><th>gpu</th><th>tp</th><th>current</th><th>minimum</th><th>planned</th><th>reserved tok/s</th><th>breaks at tok/s</th></tr>{3}</table>
<h2>Split (blue: inference, green: research)</h2><table><tr><th>gpu</th><th>inventory</th><th>inference</th><th>research</th><th>research may borrow</th><th></th></tr>{4}</table>
<p>Inference reclaims lent GPUs within {5:.0f} s.</p>
<h2>Training gangs</h2><table><tr><th>gang</th><th>gpu</th><th>gpus</th><th>placed</th></tr>{6}</table>
<p>{7:.0f}% in one NVLink domain or rack; fragmentation {8:.0f}%.</p></body></html>
)",
      html_escape(title), p.feasible ? "Feasible" : "INFEASIBLE", problems, pools, split,
      p.reclaim_s, gangs, p.single_domain_fraction * 100, p.fragmentation * 100);
}

std::vector<std::pair<std::string, std::string>> kueue_manifests(const Plan& p) {
  std::vector<std::pair<std::string, std::string>> files;
  std::string flavors;
  std::string inference_flavors, research_flavors;
  for (const SplitPlan& s : p.split) {
    flavors += fmt::format(R"(---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ResourceFlavor
metadata:
  name: {0}
spec:
  nodeLabels:
    accord.dev/gpu: {0}
)",
                           s.gpu);
    // Inference lends its headroom (never its minimum); research borrows exactly that.
    inference_flavors += fmt::format(R"(      - name: {}
        resources:
          - name: nvidia.com/gpu
            nominalQuota: {}
            borrowingLimit: 0
            lendingLimit: {}
)",
                                     s.gpu, s.inference, s.research_may_borrow);
    research_flavors += fmt::format(R"(      - name: {}
        resources:
          - name: nvidia.com/gpu
            nominalQuota: {}
            borrowingLimit: {}
            lendingLimit: 0
)",
                                    s.gpu, s.research, s.research_may_borrow);
  }
  files.emplace_back("resource-flavors.yaml", flavors);
  files.emplace_back(
      "cluster-queues.yaml",
      fmt::format(
          R"(# Written by accord plan: the commercial-inference / research split, one cohort.
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata:
  name: commercial-inference
spec:
  cohort: accord
  namespaceSelector: {{}}
  queueingStrategy: BestEffortFIFO
  preemption:
    reclaimWithinCohort: Any
    borrowWithinCohort:
      policy: Never
    withinClusterQueue: LowerPriority
  resourceGroups:
  - coveredResources: ["nvidia.com/gpu"]
    flavors:
{}---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata:
  name: research
spec:
  cohort: accord
  namespaceSelector: {{}}
  queueingStrategy: BestEffortFIFO
  preemption:
    reclaimWithinCohort: Never
    withinClusterQueue: LowerPriority
  resourceGroups:
  - coveredResources: ["nvidia.com/gpu"]
    flavors:
{})",
          inference_flavors, research_flavors));
  files.emplace_back("local-queues.yaml", R"(---
apiVersion: kueue.x-k8s.io/v1beta1
kind: LocalQueue
metadata:
  name: inference
  namespace: inference
spec:
  clusterQueue: commercial-inference
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: LocalQueue
metadata:
  name: research
  namespace: research
spec:
  clusterQueue: research
)");
  return files;
}

}  // namespace accord
