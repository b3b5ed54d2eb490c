// Relabeling throughput (as Prometheus's BenchmarkRelabel): a kubernetes-
// style target relabel chain over a large discovered label set, and a
// static "set fixed labels" chain.
#include <benchmark/benchmark.h>

#include "scrape/relabel/relabel.h"

namespace promethium::scrape {
namespace {

RelabelConfig Rule(RelabelAction action, std::vector<std::string> sources, const std::string& regex,
                   std::string target = "", std::string replacement = "$1", uint64_t modulus = 0) {
  RelabelConfig c;
  c.action = action;
  c.source_labels = std::move(sources);
  if (!regex.empty()) c.regex = RelabelRegex::Make(regex).value();
  c.target_label = std::move(target);
  c.replacement = std::move(replacement);
  c.modulus = modulus;
  return c;
}

Labels KubernetesPodLabels() {
  return Labels{{"__address__", "10.132.183.40:80"},
                {"__meta_kubernetes_namespace", "loki-boltdb-shipper"},
                {"__meta_kubernetes_pod_container_name", "promtail"},
                {"__meta_kubernetes_pod_container_port_name", "http-metrics"},
                {"__meta_kubernetes_pod_container_port_number", "80"},
                {"__meta_kubernetes_pod_controller_kind", "DaemonSet"},
                {"__meta_kubernetes_pod_ip", "10.132.183.40"},
                {"__meta_kubernetes_pod_label_name", "promtail-loki-boltdb-shipper"},
                {"__meta_kubernetes_pod_name", "promtail-loki-boltdb-shipper-jgtr7"},
                {"__meta_kubernetes_pod_node_name", "gke-dev-us-central-0-main-n2s8-2-14d53341-9hkr"},
                {"__meta_kubernetes_pod_phase", "Running"},
                {"__meta_kubernetes_pod_ready", "true"},
                {"__metrics_path__", "/metrics"},
                {"__scheme__", "http"},
                {"__scrape_interval__", "15s"},
                {"__scrape_timeout__", "10s"},
                {"job", "kubernetes-pods"}};
}

void BM_RelabelKubernetes(benchmark::State& state) {
  using A = RelabelAction;
  const std::vector<RelabelConfig> rules = {
      Rule(A::kKeep, {"__meta_kubernetes_pod_container_port_name"}, ".*-metrics"),
      Rule(A::kDrop, {"__meta_kubernetes_pod_phase"}, "Succeeded|Failed"),
      Rule(A::kReplace, {"__address__", "__meta_kubernetes_pod_container_port_number"}, R"((.+?)(\:\d+)?;(\d+))",
           "__address__", "$1:$3"),
      Rule(A::kLabelMap, {}, "__meta_kubernetes_pod_label_(.+)"),
      Rule(A::kReplace, {"__meta_kubernetes_namespace", "__meta_kubernetes_pod_label_name"}, "", "job"),
      Rule(A::kReplace, {"__meta_kubernetes_pod_name"}, "", "pod"),
      Rule(A::kHashMod, {"__address__"}, "", "__tmp_hash", "$1", 3),
      Rule(A::kLabelDrop, {}, "__tmp_hash"),
  };
  const Labels in = KubernetesPodLabels();
  for (auto _ : state) benchmark::DoNotOptimize(Relabel(in, rules));
}
BENCHMARK(BM_RelabelKubernetes);

void BM_RelabelStaticLabels(benchmark::State& state) {
  const std::vector<RelabelConfig> rules = {
      Rule(RelabelAction::kReplace, {}, "", "cluster", "dev-us-central-0"),
      Rule(RelabelAction::kReplace, {}, "", "region", "us-central"),
  };
  const Labels in{{"__name__", "http_requests_total"}, {"code", "200"}, {"instance", "a:1"}, {"job", "api"}};
  for (auto _ : state) benchmark::DoNotOptimize(Relabel(in, rules));
}
BENCHMARK(BM_RelabelStaticLabels);

}  // namespace
}  // namespace promethium::scrape
