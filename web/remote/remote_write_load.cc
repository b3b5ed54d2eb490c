// remote_write_load: a bounded remote write 1.0 load generator, to compare
// receivers (Promethium, Prometheus with --web.enable-remote-write-receiver)
// on identical batches.
//
// It builds every request up front (so client-side encoding does not compete
// with the server for CPU while measuring), then sends them over
// `connections` keep-alive connections. Series are sharded across
// connections and each connection sends its batches in time order, so every
// sample is in order for its series. Each request carries `batch` series
// with one sample each (Prometheus's remote write queue shape, default
// max_samples_per_send 500 in 2.42... 2000 in 3.x).
//
// With --pid, it reads the receiver's CPU time (utime+stime from
// /proc/<pid>/stat) before and after, and reports samples per CPU second.
//
//   remote_write_load --url=http://127.0.0.1:9090/api/v1/write --series=10000
//                     --rounds=20 --batch=500 --connections=2 --pid=1234
//
// Exits 0 when every request got a 2xx answer, 1 otherwise, 2 on usage errors.
#include <snappy.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "remote/proto/remote.pb.h"
#include "tsdb/base/thread_annotations.h"

namespace {

namespace http = boost::beast::http;

struct Options {
  std::string url;
  int series = 10000;         // distinct series
  int rounds = 20;            // samples per series (one per round, 15 s apart)
  int batch = 500;            // series (= samples) per request
  int connections = 2;        // concurrent keep-alive connections
  int labels = 8;             // labels per series, __name__ included
  int64_t start_ms = 0;       // first timestamp; 0 means now - rounds*15s
  long pid = 0;               // receiver pid for CPU accounting; 0 skips it
  int timeout_seconds = 600;  // hard bound on the whole run
};

bool ParseFlag(const std::string& arg, const char* name, std::string* value) {
  std::string prefix = std::string("--") + name + "=";
  if (arg.rfind(prefix, 0) != 0) return false;
  *value = arg.substr(prefix.size());
  return true;
}

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], v;
    if (ParseFlag(arg, "url", &v))
      o->url = v;
    else if (ParseFlag(arg, "series", &v))
      o->series = std::stoi(v);
    else if (ParseFlag(arg, "rounds", &v))
      o->rounds = std::stoi(v);
    else if (ParseFlag(arg, "batch", &v))
      o->batch = std::stoi(v);
    else if (ParseFlag(arg, "connections", &v))
      o->connections = std::stoi(v);
    else if (ParseFlag(arg, "labels", &v))
      o->labels = std::stoi(v);
    else if (ParseFlag(arg, "start_ms", &v))
      o->start_ms = std::stoll(v);
    else if (ParseFlag(arg, "pid", &v))
      o->pid = std::stol(v);
    else if (ParseFlag(arg, "timeout_seconds", &v))
      o->timeout_seconds = std::stoi(v);
    else
      return false;
  }
  return !o->url.empty() && o->series > 0 && o->rounds > 0 && o->batch > 0 && o->connections > 0 && o->labels >= 3 &&
         o->timeout_seconds > 0;
}

// Labels of series i, sorted by name as the spec requires: node-exporter-like
// names (50 metric names) with instance/job and filler labels.
std::vector<std::pair<std::string, std::string>> SeriesLabels(int i, int label_count) {
  std::map<std::string, std::string> m;
  m["__name__"] = "bench_metric_" + std::to_string(i % 50) + "_total";
  m["instance"] = "host-" + std::to_string(i / 50 % 1000) + ".example:9100";
  m["job"] = "node";
  for (int l = 3; l < label_count; ++l) m["label_" + std::to_string(l)] = "value_" + std::to_string((i * 7 + l) % 97);
  m["series"] = std::to_string(i);  // keeps every series distinct
  return {m.begin(), m.end()};
}

// One request: series [first, first+count) at timestamp ts.
std::string EncodeBatch(int first, int count, int64_t ts, int round, int label_count) {
  prometheus::WriteRequest req;
  for (int i = first; i < first + count; ++i) {
    prometheus::TimeSeries* series = req.add_timeseries();
    for (const auto& [name, value] : SeriesLabels(i, label_count)) {
      prometheus::Label* l = series->add_labels();
      l->set_name(name);
      l->set_value(value);
    }
    prometheus::Sample* s = series->add_samples();
    s->set_timestamp(ts);
    s->set_value(static_cast<double>(round * 10 + i % 10));
  }
  std::string raw = req.SerializeAsString(), compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

double ProcessCpuSeconds(long pid) {
  if (pid <= 0) return 0;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Counters {
  std::atomic<long> ok_requests{0}, failed_requests{0}, ok_samples{0};
  promethium::Mutex mu;
  std::string first_error GUARDED_BY(mu);

  std::string FirstError() {
    promethium::MutexLock lock(&mu);
    return first_error;
  }
};

// Sends `bodies` in order on one keep-alive connection.
void SendAll(const Options& o, const std::vector<const std::string*>& bodies, const std::vector<int>& sample_counts,
             std::chrono::steady_clock::time_point deadline, Counters* counters) {
  auto url = boost::urls::parse_uri(o.url);
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::resolver resolver(ioc);
  boost::beast::tcp_stream stream(ioc);
  std::string host(url->host()), port = url->has_port() ? std::string(url->port()) : "80";
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(resolver.resolve(host, port));
  boost::beast::flat_buffer buffer;
  for (size_t i = 0; i < bodies.size() && std::chrono::steady_clock::now() < deadline; ++i) {
    http::request<http::string_body> req{http::verb::post, std::string(url->encoded_path()), 11};
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/x-protobuf");
    req.set(http::field::content_encoding, "snappy");
    req.set("X-Prometheus-Remote-Write-Version", "0.1.0");
    req.body() = *bodies[i];
    req.prepare_payload();
    stream.expires_after(std::chrono::seconds(30));
    http::write(stream, req);
    http::response<http::string_body> resp;
    http::read(stream, buffer, resp);
    if (resp.result_int() / 100 == 2) {
      counters->ok_requests.fetch_add(1);
      counters->ok_samples.fetch_add(sample_counts[i]);
    } else {
      counters->failed_requests.fetch_add(1);
      promethium::MutexLock lock(&counters->mu);
      if (counters->first_error.empty()) counters->first_error = std::to_string(resp.result_int()) + " " + resp.body();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    if (!ParseOptions(argc, argv, &o) || !boost::urls::parse_uri(o.url)) {
      std::cerr << "usage: remote_write_load --url=<http://host:port/api/v1/write> [--series=N] [--rounds=N] "
                   "[--batch=N] [--connections=N] [--labels=N] [--start_ms=T] [--pid=P] [--timeout_seconds=S]\n";
      return 2;
    }
  } catch (const std::exception&) {
    std::cerr << "bad numeric flag value\n";
    return 2;
  }
  constexpr int64_t kStepMs = 15000;
  if (o.start_ms == 0) {
    int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    o.start_ms = now - static_cast<int64_t>(o.rounds) * kStepMs;
  }
  // Build: per connection, its series chunks for round 0, then round 1, ...
  std::vector<std::string> bodies;
  std::vector<int> counts;
  std::vector<std::vector<size_t>> plan(o.connections);
  size_t encoded_bytes = 0;
  int chunks = (o.series + o.batch - 1) / o.batch;
  for (int round = 0; round < o.rounds; ++round) {
    for (int chunk = 0; chunk < chunks; ++chunk) {
      int first = chunk * o.batch, count = std::min(o.batch, o.series - first);
      plan[chunk % o.connections].push_back(bodies.size());
      bodies.push_back(EncodeBatch(first, count, o.start_ms + round * kStepMs, round, o.labels));
      counts.push_back(count);
      encoded_bytes += bodies.back().size();
    }
  }
  std::printf("requests=%zu samples=%lld encoded_bytes=%zu (%.1f B/sample)\n", bodies.size(),
              static_cast<long long>(o.series) * o.rounds, encoded_bytes,
              static_cast<double>(encoded_bytes) / (static_cast<double>(o.series) * o.rounds));

  Counters counters;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_seconds);
  double cpu_before = ProcessCpuSeconds(o.pid);
  auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> thread_errors{0};
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      std::vector<const std::string*> mine;
      std::vector<int> mine_counts;
      for (size_t index : plan[c]) {
        mine.push_back(&bodies[index]);
        mine_counts.push_back(counts[index]);
      }
      try {
        SendAll(o, mine, mine_counts, deadline, &counters);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "connection %d: %s\n", c, e.what());
        thread_errors.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  double cpu = ProcessCpuSeconds(o.pid) - cpu_before;
  long samples = counters.ok_samples.load();
  std::printf("ok_requests=%ld failed_requests=%ld accepted_samples=%ld wall_seconds=%.3f samples_per_second=%.0f\n",
              counters.ok_requests.load(), counters.failed_requests.load(), samples, wall,
              static_cast<double>(samples) / wall);
  if (o.pid > 0) {
    std::printf("server_cpu_seconds=%.2f samples_per_cpu_second=%.0f\n", cpu,
                cpu > 0 ? static_cast<double>(samples) / cpu : 0.0);
  }
  if (std::string err = counters.FirstError(); !err.empty()) std::printf("first_error=%s\n", err.c_str());
  bool all_ok = counters.failed_requests.load() == 0 && thread_errors.load() == 0 &&
                counters.ok_requests.load() == static_cast<long>(bodies.size());
  return all_ok ? 0 : 1;
}
