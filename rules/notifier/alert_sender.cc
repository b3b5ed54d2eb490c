#include "rules/notifier/alert_sender.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <set>

#include "scrape/relabel/relabel.h"
#include "tsdb/base/logging.h"

namespace promethium::rules {
namespace {

namespace net = boost::asio;
constexpr std::string_view kLog = "notifier";
constexpr uint64_t kMaxResponseBytes = 1 << 20;  // the answer is discarded
constexpr std::string_view kLabelName = "alertmanager";

// The POST for one Alertmanager, or why it cannot be made.
Result<scrape::HttpGetRequest> RequestFor(const AlertmanagerSet& set, const AlertmanagerTarget& am,
                                          const std::string& payload) {
  const bool tls = am.scheme == "https";
  if (!tls && am.scheme != "http") return Status::InvalidArgument(fmt::format("unsupported scheme \"{}\"", am.scheme));
  std::string address = am.address;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || (!address.empty() && address.back() == ']')) address += tls ? ":443" : ":80";
  scrape::HttpGetRequest req;
  PROMETHIUM_RETURN_IF_ERROR(scrape::SplitHostPort(address, &req.host, &req.port));
  req.target = am.path.empty() ? "/" : am.path;
  req.url = am.Url();
  req.timeout_ms = set.config.timeout_ms;
  req.body_size_limit = kMaxResponseBytes;
  req.use_tls = tls;
  req.tls = set.tls;
  req.proxy = set.proxy;
  req.follow_redirects = false;
  req.post = true;
  req.post_body = payload;
  req.content_type = "application/json";
  PROMETHIUM_ASSIGN_OR_RETURN(req.authorization, scrape::AuthorizationHeader(set.config.http_client));
  return req;
}

}  // namespace

std::vector<NotifierAlert> RelabelAlerts(std::vector<NotifierAlert> alerts, const Labels& external_labels,
                                         const std::vector<scrape::RelabelConfig>& configs) {
  if (external_labels.empty() && configs.empty()) return alerts;
  std::vector<NotifierAlert> out;
  out.reserve(alerts.size());
  for (NotifierAlert& a : alerts) {
    LabelsBuilder b(a.labels);
    for (const Label& l : external_labels) {
      if (a.labels.Get(l.name).empty()) b.Set(l.name, l.value);
    }
    if (!scrape::RelabelBuilder(&b, configs)) continue;
    a.labels = b.Build();
    out.push_back(std::move(a));
  }
  return out;
}

struct AlertSender::Impl {
  // One POST in flight: its client and outcome.
  struct Call {
    std::string set_name;
    std::string url;
    size_t count = 0;
    scrape::HttpClient* client = nullptr;
    scrape::HttpGetRequest request;
    Status status;
    double seconds = 0;  // from the batch's start to this call's end, as Prometheus
  };

  MetricsRegistry* metrics;
  net::io_context io;
  std::map<std::string, std::unique_ptr<scrape::HttpClient>> clients;  // by "<set>|<url>"

  scrape::HttpClient* ClientFor(const std::string& key) {
    auto& c = clients[key];
    if (!c) c = std::make_unique<scrape::HttpClient>(io.get_executor());
    return c.get();
  }

  // Counts each call's outcome; marks the sets some Alertmanager accepted.
  void Record(const std::vector<Call>& calls, std::map<std::string, bool>* covered) {
    for (const Call& c : calls) {
      const MetricLabels labels = {{std::string(kLabelName), c.url}};
      if (!c.status.ok()) {
        LogError(kLog, "Error sending alerts: alertmanager={} count={} err={}", c.url, c.count, c.status.message());
        metrics
            ->GetCounter("prometheus_notifications_errors_total", "Total number of sent alerts affected by errors.",
                         labels)
            ->Inc(static_cast<double>(c.count));
      } else {
        (*covered)[c.set_name] = true;
      }
      metrics
          ->GetHistogram("prometheus_notifications_latency_histogram_seconds",
                         "Latency histogram for sending alert notifications.", {.01, .1, 1, 10}, labels)
          ->Observe(c.seconds);
      metrics
          ->GetSummary("prometheus_notifications_latency_seconds", "Latency quantiles for sending alert notifications.",
                       labels)
          ->Observe(c.seconds);
      metrics->GetCounter("prometheus_notifications_sent_total", "Total number of alerts sent.", labels)
          ->Inc(static_cast<double>(c.count));
    }
  }

  // Runs every call that has a client concurrently on `io` until all finished.
  void RunAll(std::vector<Call>* calls, std::chrono::steady_clock::time_point begin) {
    for (Call& call : *calls) {
      if (call.client == nullptr) continue;
      net::co_spawn(
          io,
          [&call, begin]() -> net::awaitable<void> {
            Result<scrape::HttpResponse> r = co_await call.client->Get(call.request);
            call.status = r.ok() ? Status::OK() : r.status();
            call.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
          },
          [&call](std::exception_ptr e) {
            if (!e) return;
            try {
              std::rethrow_exception(e);
            } catch (const std::exception& ex) {  // Boost.Asio edge
              call.status = Status::Internal(ex.what());
            }
          });
    }
    io.restart();
    try {
      io.run();
    } catch (const std::exception& e) {
      LogError(kLog, "Notification sender failed: err={}", e.what());
    }
  }
};

AlertSender::AlertSender(MetricsRegistry* metrics) : impl_(std::make_unique<Impl>()) { impl_->metrics = metrics; }
AlertSender::~AlertSender() = default;

bool AlertSender::SendAll(const std::vector<std::shared_ptr<const AlertmanagerSet>>& sets,
                          const std::vector<NotifierAlert>& alerts) {
  if (alerts.empty()) return true;
  const auto begin = std::chrono::steady_clock::now();
  std::vector<Impl::Call> calls;
  std::set<std::string> used_keys;
  std::map<std::string, bool> covered;  // set name -> some Alertmanager answered 2xx
  std::string shared_payload;           // sets without their own relabeling share it
  for (const auto& set : sets) {
    if (set->active.empty()) continue;
    std::string own_payload;
    size_t count = alerts.size();
    if (!set->config.alert_relabel_configs.empty()) {
      std::vector<NotifierAlert> relabeled = RelabelAlerts(alerts, Labels(), set->config.alert_relabel_configs);
      if (relabeled.empty()) continue;
      count = relabeled.size();
      own_payload = EncodeAlertsV2(relabeled);
    } else if (shared_payload.empty()) {
      shared_payload = EncodeAlertsV2(alerts);
    }
    const std::string& payload = set->config.alert_relabel_configs.empty() ? shared_payload : own_payload;
    covered[set->name] = false;
    for (const AlertmanagerTarget& am : set->active) {
      Impl::Call call;
      call.set_name = set->name;
      call.url = am.Url();
      call.count = count;
      Result<scrape::HttpGetRequest> req = RequestFor(*set, am, payload);
      if (!req.ok()) {
        call.status = req.status();
      } else {
        const std::string key = set->name + "|" + call.url;
        used_keys.insert(key);
        call.client = impl_->ClientFor(key);
        call.request = std::move(*req);
      }
      calls.push_back(std::move(call));
    }
  }
  // Forget the clients of Alertmanagers that are gone.
  std::erase_if(impl_->clients, [&](const auto& kv) { return !used_keys.contains(kv.first); });

  impl_->RunAll(&calls, begin);

  impl_->Record(calls, &covered);
  for (const auto& [name, ok] : covered) {
    if (!ok) return false;
  }
  return true;
}

}  // namespace promethium::rules
