// Remote write receiver throughput: snappy + protobuf decode, validation and
// append of one WriteRequest (1000 series x 10 samples) through
// ApiHandler::Handle into an Appendable that drops samples, so the number
// is the receiver's own cost (samples/s).
#include <benchmark/benchmark.h>
#include <snappy.h>

#include <string>

#include "remote/proto/remote.pb.h"
#include "tsdb/api/storage.h"
#include "web/api_handler.h"

namespace promethium::web {
namespace {

class DiscardAppendable final : public Appendable {
 public:
  std::unique_ptr<Appender> NewAppender() override { return std::make_unique<App>(); }

 private:
  class App final : public Appender {
   public:
    Result<SeriesRef> Append(SeriesRef, const Labels&, int64_t, double) override { return SeriesRef{1}; }
    Status Commit() override { return Status::OK(); }
    Status Rollback() override { return Status::OK(); }
  };
};

HttpRequest BuildRequest(int series, int samples, int64_t base_ms) {
  prometheus::WriteRequest wr;
  for (int s = 0; s < series; ++s) {
    prometheus::TimeSeries* ts = wr.add_timeseries();
    for (auto [name, value] : {std::pair<std::string, std::string>{"__name__", "http_requests_total"},
                               {"instance", "host-" + std::to_string(s % 50) + ":9100"},
                               {"job", "node"},
                               {"path", "/api/v" + std::to_string(s)}}) {
      prometheus::Label* l = ts->add_labels();
      l->set_name(name);
      l->set_value(value);
    }
    for (int i = 0; i < samples; ++i) {
      prometheus::Sample* p = ts->add_samples();
      p->set_timestamp(base_ms + i * 15000);
      p->set_value(s * 1.5 + i);
    }
  }
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/write";
  req.headers = {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "snappy"}};
  std::string raw = wr.SerializeAsString();
  snappy::Compress(raw.data(), raw.size(), &req.body);
  return req;
}

void BM_RemoteWrite(benchmark::State& state) {
  const int series = 1000, samples = 10;
  HttpRequest req = BuildRequest(series, samples, 1'700'000'000'000);
  DiscardAppendable storage;
  ApiDeps deps;
  deps.remote_write_appendable = &storage;
  ApiHandler handler(deps);
  for (auto _ : state) {
    HttpResponse resp = handler.Handle(req);
    if (resp.status != 204) state.SkipWithError(resp.body.c_str());
  }
  state.SetItemsProcessed(state.iterations() * series * samples);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(req.body.size()));
}
BENCHMARK(BM_RemoteWrite)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace promethium::web
