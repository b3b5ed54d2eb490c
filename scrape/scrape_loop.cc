#include "scrape/scrape_loop.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <optional>

#include "scrape/histogram_limits.h"
#include "scrape/http_client.h"
#include "tsdb/base/logging.h"

namespace promethium::scrape {

namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "host" or "[v6]" without a port gets the scheme's default port.
std::string WithDefaultPort(const std::string& address, bool tls) {
  size_t colon = address.rfind(':');
  bool has_port = colon != std::string::npos && (address[0] != '[' || address.find(']') < colon);
  if (has_port) return address;
  return address + (tls ? ":443" : ":80");
}

AppendOptions AppendOptionsOf(const ScrapeConfig& cfg) {
  AppendOptions o;
  o.honor_labels = cfg.honor_labels;
  o.honor_timestamps = cfg.honor_timestamps;
  o.sample_limit = cfg.sample_limit;
  o.label_limit = cfg.label_limit;
  o.label_name_length_limit = cfg.label_name_length_limit;
  o.label_value_length_limit = cfg.label_value_length_limit;
  o.scrape_native_histograms = cfg.scrape_native_histograms.value_or(false);
  o.always_scrape_classic_histograms = cfg.always_scrape_classic_histograms.value_or(false);
  o.convert_classic_histograms_to_nhcb = cfg.convert_classic_histograms_to_nhcb.value_or(false);
  o.native_histogram_bucket_limit = cfg.native_histogram_bucket_limit;
  o.native_histogram_max_schema = PickMaxSchema(cfg.native_histogram_min_bucket_factor);
  return o;
}

}  // namespace

struct ScrapeLoop::Runtime {
  explicit Runtime(net::io_context& io) : strand(net::make_strand(io)), timer(strand), client(strand) {}
  net::strand<net::io_context::executor_type> strand;
  net::steady_timer timer;
  HttpClient client;
  HttpGetRequest request;
  promethium::Status request_status;  // why `request` is unusable, if it is
  bool stopping = false;              // strand-only
  bool write_stale = false;           // strand-only
};

// The coroutines; a friend of ScrapeLoop so that the header stays free of
// Asio types.
struct LoopRunner {
  static net::awaitable<void> ScrapeOnce(ScrapeLoop* loop, int64_t ts_ms) {
    ScrapeLoop::Runtime& rt = *loop->runtime_;
    const auto start = SteadyClock::now();
    promethium::Status err = rt.request_status;
    {
      promethium::MutexLock l(&loop->health_mu_);
      if (!loop->forced_error_.ok()) err = loop->forced_error_;
    }
    std::optional<Result<HttpResponse>> response;
    ExpositionFormat format = ExpositionFormat::kPrometheusText;
    if (err.ok() && (loop->http_client_.basic_auth || loop->http_client_.authorization)) {
      Result<std::string> auth = AuthorizationHeader(loop->http_client_);
      if (auth.ok()) {
        rt.request.authorization = std::move(*auth);
      } else {
        err = auth.status();
      }
    }
    if (err.ok()) {
      response.emplace(co_await rt.client.Get(rt.request));
      if (rt.stopping) co_return;  // aborted by Stop: no report, as Prometheus
      err = response->status();
      if (err.ok()) {
        Result<FormatChoice> choice = SelectExpositionFormat((*response)->content_type, loop->fallback_protocol_);
        if (choice.ok()) {
          format = choice->format;
          if (!choice->warning.empty()) LogDebug("scrape", "target {}: {}", loop->target_.Url(), choice->warning);
        } else {
          err = choice.status();
        }
      }
    }
    ScrapeCache* cache = loop->cache_.get();
    std::unique_ptr<Appender> app = loop->storage_->NewAppender();
    AppendStats stats;
    if (err.ok()) {
      stats = AppendScrapeBody((*response)->body, format, ts_ms, loop->target_, loop->opts_, cache, app.get());
      err = stats.status;
      if (!err.ok()) {
        app->Rollback().IgnoreError();  // err (the append error) is what the target reports
        app = loop->storage_->NewAppender();
      }
    }
    if (!err.ok()) cache->DropSeen();
    AppendStaleMarkers(cache, ts_ms, app.get());
    const double duration = std::chrono::duration<double>(SteadyClock::now() - start).count();
    ScrapeReport report{err.ok(), duration, stats.scraped, stats.added, stats.series_added};
    promethium::Status st = loop->report_.Append(report, ts_ms, app.get());
    if (st.ok()) {
      st = app->Commit();
      // The storage's failure (a full disk, say), not the target's: as in
      // Prometheus the target stays up; the storage counts it and logs it
      // at most once per interval, so each loop only notes it at debug.
      if (!st.ok()) LogDebug("scrape", "target {}: commit failed: {}", loop->target_.Url(), st.message());
    } else {
      app->Rollback().IgnoreError();  // the report append error is logged just below
      LogWarn("scrape", "target {}: appending the scrape report failed: {}", loop->target_.Url(), st.message());
    }
    cache->Commit(err.ok() && st.ok());  // nothing was stored: not a successful scrape for staleness
    loop->ScrapeFinished(ts_ms, duration, err, stats);
  }

  static net::awaitable<void> Run(std::shared_ptr<ScrapeLoop> self) {
    ScrapeLoop* loop = self.get();
    ScrapeLoop::Runtime& rt = *loop->runtime_;
    const auto interval = std::chrono::milliseconds(loop->target_.interval_ms);
    auto next = SteadyClock::now() + std::chrono::milliseconds(loop->target_.OffsetMs(NowMs()));
    std::optional<SteadyClock::time_point> last_start;
    while (!rt.stopping) {
      rt.timer.expires_at(next);
      boost::system::error_code ec;
      co_await rt.timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      if (rt.stopping) break;
      auto now = SteadyClock::now();
      if (last_start && loop->metrics_.interval_length) {
        loop->metrics_.interval_length->Observe(std::chrono::duration<double>(now - *last_start).count());
      }
      last_start = now;
      co_await ScrapeOnce(loop, NowMs());
      next += interval;
      now = SteadyClock::now();
      // A scrape that overran: skip the missed slots, keep the phase.
      if (next <= now) next += interval * ((now - next) / interval + 1);
    }
    if (rt.write_stale) loop->WriteEndOfRunStaleMarkers();
  }
};

ScrapeLoop::ScrapeLoop(net::io_context* io, Target target, const ScrapeConfig& cfg, Appendable* storage,
                       LoopMetrics metrics, std::unique_ptr<ScrapeCache> cache)
    : target_(std::move(target)),
      pool_(cfg.job_name),
      opts_(AppendOptionsOf(cfg)),
      body_size_limit_(cfg.body_size_limit),
      fallback_protocol_(cfg.fallback_scrape_protocol),
      http_client_(cfg.http_client),
      storage_(storage),
      metrics_(metrics),
      cache_(cache ? std::move(cache) : std::make_unique<ScrapeCache>()),
      report_(target_.labels),
      runtime_(std::make_unique<Runtime>(*io)),
      done_future_(done_.get_future()) {
  HttpGetRequest& req = runtime_->request;
  req.use_tls = target_.scheme == "https";
  runtime_->request_status = SplitHostPort(WithDefaultPort(target_.address, req.use_tls), &req.host, &req.port);
  req.follow_redirects = cfg.http_client.follow_redirects;
  if (req.use_tls && runtime_->request_status.ok()) {
    Result<std::shared_ptr<const TlsClientContext>> tls = NewTlsClientContext(cfg.http_client.tls_config);
    if (tls.ok()) {
      req.tls = std::move(*tls);
    } else {
      runtime_->request_status = tls.status().WithContext("error creating HTTP client");
    }
  }
  if (runtime_->request_status.ok()) {  // proxy_url / proxy_from_environment (http_client_config.h)
    Result<std::shared_ptr<const ProxySelector>> proxy = ProxySelector::Make(cfg.http_client.proxy);
    if (proxy.ok()) {
      req.proxy = std::move(*proxy);
    } else {
      runtime_->request_status = proxy.status().WithContext("error creating HTTP client");
    }
  }
  req.target = target_.path_and_query;
  req.url = target_.Url();
  req.accept = ScrapeAcceptHeader(cfg.scrape_protocols);
  req.timeout_ms = target_.timeout_ms;
  req.body_size_limit = body_size_limit_;
}

ScrapeLoop::~ScrapeLoop() = default;

std::vector<MetricMetadata> ScrapeLoop::Metadata() const {
  if (!cache_) return {};
  return cache_->metadata().Snapshot();
}

void ScrapeLoop::SetForcedError(const promethium::Status& err) {
  promethium::MutexLock l(&health_mu_);
  forced_error_ = err;
}

void ScrapeLoop::Start() {
  if (started_) return;
  started_ = true;
  auto done = std::make_shared<std::promise<void>>(std::move(done_));
  net::co_spawn(runtime_->strand, LoopRunner::Run(shared_from_this()),
                [done, url = target_.Url()](std::exception_ptr e) {
                  if (e) {
                    try {
                      std::rethrow_exception(e);
                    } catch (const std::exception& ex) {
                      LogError("scrape", "scrape loop for {} died: {}", url, ex.what());
                    }
                  }
                  done->set_value();
                });
}

void ScrapeLoop::RequestStop(bool write_stale_markers) {
  if (stop_requested_) return;
  stop_requested_ = true;
  if (!started_) {
    started_ = true;  // nothing may start it now
    if (write_stale_markers) WriteEndOfRunStaleMarkers();
    done_.set_value();
    return;
  }
  // The handler holds a reference: the loop may end (and its owner drop it)
  // before the handler runs, e.g. if the coroutine died of an exception.
  net::post(runtime_->strand, [self = shared_from_this(), write_stale_markers] {
    Runtime& rt = *self->runtime_;
    rt.stopping = true;
    rt.write_stale = write_stale_markers;
    rt.timer.cancel();
    rt.client.Cancel();
  });
}

void ScrapeLoop::WaitStopped() {
  if (done_future_.valid()) done_future_.wait();
}

void ScrapeLoop::ScrapeOnceForTest(int64_t ts_ms) {
  net::co_spawn(runtime_->strand, LoopRunner::ScrapeOnce(this, ts_ms), net::use_future).get();
}

void ScrapeLoop::WriteEndOfRunStaleMarkers() {
  int64_t last;
  {
    promethium::MutexLock lock(&health_mu_);
    last = health_.last_scrape_ms;
  }
  if (last == 0) return;  // never scraped: nothing to end
  const int64_t ts = std::max(NowMs(), last + 1);
  std::unique_ptr<Appender> app = storage_->NewAppender();
  cache_->DropSeen();
  AppendStaleMarkers(cache_.get(), ts, app.get());
  report_.AppendStale(ts, app.get());
  promethium::Status st = app->Commit();
  if (!st.ok()) LogWarn("scrape", "target {}: writing stale markers failed: {}", target_.Url(), st.message());
  cache_->Commit(false);
}

void ScrapeLoop::ScrapeFinished(int64_t ts_ms, double duration_seconds, const promethium::Status& err,
                                const AppendStats& stats) {
  if (metrics_.exceeded_sample_limit && stats.sample_limit_exceeded) metrics_.exceeded_sample_limit->Inc();
  if (metrics_.exceeded_bucket_limit && stats.bucket_limit_exceeded) metrics_.exceeded_bucket_limit->Inc();
  if (metrics_.out_of_order && stats.out_of_order) metrics_.out_of_order->Inc(static_cast<double>(stats.out_of_order));
  if (metrics_.duplicate && stats.duplicate) metrics_.duplicate->Inc(static_cast<double>(stats.duplicate));
  if (metrics_.out_of_bounds && stats.out_of_bounds) {
    metrics_.out_of_bounds->Inc(static_cast<double>(stats.out_of_bounds));
  }
  if (!err.ok()) LogDebug("scrape", "scrape of {} failed: {}", target_.Url(), err.message());
  if (stats.histograms_unsupported > 0) {
    LogDebug("scrape", "target {}: the storage refused {} native histogram samples (unsupported)", target_.Url(),
             stats.histograms_unsupported);
  }
  promethium::MutexLock lock(&health_mu_);
  health_.health = err.ok() ? "up" : "down";
  health_.last_error = err.ok() ? "" : err.message();
  health_.last_scrape_ms = ts_ms;
  health_.last_duration_seconds = duration_seconds;
}

TargetStatus ScrapeLoop::Snapshot() const {
  TargetStatus s;
  s.scrape_pool = pool_;
  s.scrape_url = target_.Url();
  s.labels = target_.labels;
  s.discovered_labels = target_.discovered_labels;
  s.interval_ms = target_.interval_ms;
  s.timeout_ms = target_.timeout_ms;
  promethium::MutexLock lock(&health_mu_);
  s.health = health_.health;
  s.last_error = health_.last_error;
  s.last_scrape_ms = health_.last_scrape_ms;
  s.last_scrape_duration_seconds = health_.last_duration_seconds;
  return s;
}

}  // namespace promethium::scrape
