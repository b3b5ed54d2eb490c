#include "web/remote/read_handler.h"

#include <snappy-sinksource.h>
#include <snappy.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/logging.h"
#include "tsdb/base/metrics.h"
#include "web/remote/read_chunked_stream.h"
#include "web/remote/read_encoding.h"
#include "web/remote/read_request.h"

namespace promethium::web {

// Counts requests in progress against the concurrency limit.
class RemoteReadHandler::Gate {
 public:
  Gate(int64_t limit, Gauge* queries) : limit_(limit), queries_(queries) {}

  // A slot held until the returned pointer is released, or null when the
  // limit is reached.
  static std::shared_ptr<void> TryEnter(const std::shared_ptr<Gate>& gate) {
    int64_t now = gate->in_flight_.fetch_add(1) + 1;
    if (gate->limit_ > 0 && now > gate->limit_) {
      gate->in_flight_.fetch_sub(1);
      return nullptr;
    }
    if (gate->queries_ != nullptr) gate->queries_->Add(1);
    return std::shared_ptr<void>(gate.get(), [gate](void*) {
      gate->in_flight_.fetch_sub(1);
      if (gate->queries_ != nullptr) gate->queries_->Add(-1);
    });
  }

  int64_t limit() const { return limit_; }

 private:
  const int64_t limit_;
  Gauge* const queries_;
  std::atomic<int64_t> in_flight_{0};
};

namespace {

constexpr std::string_view kLog = "web";
constexpr uint32_t kResponseResults = 1;                                          // ReadResponse.results
constexpr uint32_t kResultTimeseries = 1;                                         // QueryResult.timeseries
constexpr uint32_t kSeriesLabels = 1, kSeriesSamples = 2, kSeriesHistograms = 4;  // TimeSeries

// A failed query: the status Prometheus answers it with and its text.
struct QueryError {
  int status = 500;
  std::string message;
};

// Feeds snappy the ReadResponse kept as pieces (each query's field header
// and body), so the encoded answer is never copied into one buffer.
class PiecesSource final : public snappy::Source {
 public:
  explicit PiecesSource(const std::vector<std::string>& pieces) : pieces_(pieces) {
    for (const std::string& p : pieces) left_ += p.size();
  }
  size_t Available() const override { return left_; }
  const char* Peek(size_t* len) override {
    while (index_ < pieces_.size() && offset_ == pieces_[index_].size()) {
      ++index_;
      offset_ = 0;
    }
    if (index_ == pieces_.size()) {
      *len = 0;
      return nullptr;
    }
    *len = pieces_[index_].size() - offset_;
    return pieces_[index_].data() + offset_;
  }
  void Skip(size_t n) override {
    left_ -= n;
    while (n > 0) {
      size_t here = std::min(n, pieces_[index_].size() - offset_);
      offset_ += here;
      n -= here;
      if (offset_ == pieces_[index_].size() && n > 0) {
        ++index_;
        offset_ = 0;
      }
    }
  }

 private:
  const std::vector<std::string>& pieces_;
  size_t index_ = 0;
  size_t offset_ = 0;
  size_t left_ = 0;
};

std::string SnappyCompressPieces(const std::vector<std::string>& pieces) {
  PiecesSource source(pieces);
  std::string out(snappy::MaxCompressedLength(source.Available()), '\0');
  snappy::UncheckedByteArraySink sink(out.data());
  out.resize(snappy::Compress(&source, &sink));
  return out;
}

// Appends one TimeSeries per selected series, floats and native histograms,
// to *result (a QueryResult's body). More than `sample_limit` samples and
// histograms (when > 0) is a 400.
std::optional<QueryError> EncodeQueryResult(Querier* querier, const ReadQuery& q, const Matchers& matchers,
                                            const Labels& external, int64_t sample_limit, std::string* result) {
  std::unique_ptr<SeriesSet> set = querier->Select(/*sorted=*/false, q.has_hints ? &q.hints : nullptr, matchers);
  std::unique_ptr<SampleIterator> it;
  std::string series_body, histograms;
  Histogram h;
  FloatHistogram fh;
  int64_t samples = 0;
  while (set->Next()) {
    const Series& series = set->At();
    series_body.clear();
    for (const Label& l : MergeExternalLabels(series.labels(), external)) {
      AppendLabelField(&series_body, kSeriesLabels, l);
    }
    it = series.Iterator(std::move(it));
    histograms.clear();
    for (ValueType type = it->Next(); type != ValueType::kNone; type = it->Next()) {
      // Histogram samples count against the limit too, as in Prometheus.
      if (sample_limit > 0 && ++samples > sample_limit) {
        return QueryError{400, "exceeded sample limit (" + std::to_string(sample_limit) + ")"};
      }
      if (type == ValueType::kFloat) {
        Sample s = it->At();
        AppendSampleField(&series_body, kSeriesSamples, s.t, s.v);
      } else if (type == ValueType::kHistogram) {
        const int64_t t = it->AtHistogram(&h);
        AppendHistogramField(&histograms, kSeriesHistograms, t, &h, nullptr);
      } else {
        const int64_t t = it->AtFloatHistogram(&fh);
        AppendHistogramField(&histograms, kSeriesHistograms, t, nullptr, &fh);
      }
    }
    if (Status err = it->Err(); !err.ok()) return QueryError{500, err.message()};
    series_body += histograms;  // TimeSeries field order: labels, samples, histograms
    AppendBytesField(result, kResultTimeseries, series_body);
  }
  it.reset();
  for (const std::string& w : set->Warnings()) LogWarn(kLog, "Warnings on remote read query: err={}", w);
  if (Status err = set->Err(); !err.ok()) return QueryError{500, err.message()};
  return std::nullopt;
}

HttpResponse ServeSamples(Queryable* storage, const ReadRequest& request, const Labels& external,
                          int64_t sample_limit) {
  std::vector<std::string> pieces;
  pieces.reserve(2 * request.queries.size());
  for (const ReadQuery& q : request.queries) {
    std::string result;
    bool select_nothing = false;
    Result<Matchers> matchers = SelectionMatchers(q.matchers, external, &select_nothing);
    if (!matchers.ok()) return GoHttpErrorResponse(500, matchers.status().message());
    if (!select_nothing) {
      Result<std::unique_ptr<Querier>> querier = storage->NewQuerier(q.start_ms, q.end_ms);
      if (!querier.ok()) return GoHttpErrorResponse(500, querier.status().message());
      std::optional<QueryError> err = EncodeQueryResult(querier->get(), q, *matchers, external, sample_limit, &result);
      if (err) return GoHttpErrorResponse(err->status, err->message);
    }
    std::string header;
    AppendFieldHeader(&header, kResponseResults, result.size());
    pieces.push_back(std::move(header));
    pieces.push_back(std::move(result));
  }
  HttpResponse resp;
  resp.headers = {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "snappy"}};
  resp.body = SnappyCompressPieces(pieces);
  return resp;
}

HttpResponse ServeStreamed(Queryable* storage, ReadRequest request, Labels external, int64_t max_bytes_in_frame,
                           std::shared_ptr<void> slot) {
  auto stream = std::make_shared<ReadChunkedStream>(storage, std::move(request.queries), std::move(external),
                                                    max_bytes_in_frame, std::move(slot));
  // The first batch is produced here, so that an error before any frame
  // still gets its own status, as in Prometheus (nothing was written yet).
  std::string first;
  Status s = stream->Fill(&first);
  if (!s.ok() && first.empty()) return GoHttpErrorResponse(500, s.message());
  HttpResponse resp;
  resp.headers = {{"Content-Type", "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"}};
  if (!s.ok()) {
    LogWarn(kLog, "Error in streamed remote read: err={}", s.message());
    first += s.message() + "\n";
  }
  resp.body = std::move(first);
  if (!stream->done()) resp.stream = std::move(stream);
  return resp;
}

}  // namespace

RemoteReadHandler::RemoteReadHandler(Queryable* storage, std::function<Labels()> external_labels,
                                     RemoteReadOptions options, MetricsRegistry* metrics)
    : storage_(storage), external_labels_(std::move(external_labels)), options_(options) {
  Gauge* queries = nullptr;
  if (metrics != nullptr) {
    queries = metrics->GetGauge(
        "prometheus_remote_read_handler_queries",
        "The current number of remote read queries that are either in execution or queued on the handler.");
  }
  gate_ = std::make_shared<Gate>(options_.concurrency_limit, queries);
}

RemoteReadHandler::~RemoteReadHandler() = default;

HttpResponse RemoteReadHandler::Serve(const HttpRequest& req) const {
  // Prometheus's API without a read handler (only in tests there).
  if (storage_ == nullptr) return GoHttpErrorResponse(404, "not found");
  std::shared_ptr<void> slot = Gate::TryEnter(gate_);
  if (slot == nullptr) {
    return GoHttpErrorResponse(503,
                               "too many concurrent remote read requests (--storage.remote.read-concurrent-limit=" +
                                   std::to_string(gate_->limit()) + ")");
  }
  Result<ReadRequest> request = DecodeReadRequest(req.body);
  if (!request.ok()) return GoHttpErrorResponse(400, request.status().message());
  Labels external = external_labels_ ? external_labels_() : Labels();
  Result<ReadResponseType> type = NegotiateResponseType(request->accepted_response_types);
  if (!type.ok()) return GoHttpErrorResponse(400, type.status().message());
  if (*type == ReadResponseType::kStreamedXorChunks) {
    return ServeStreamed(storage_, std::move(*request), std::move(external), options_.max_bytes_in_frame,
                         std::move(slot));
  }
  return ServeSamples(storage_, *request, external, options_.sample_limit);
}

}  // namespace promethium::web
