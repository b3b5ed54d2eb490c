// RemoteQueryable, its querier and SecondaryQuerier (see remote_querier.h).
#include "remote/read/remote_querier.h"

#include <algorithm>
#include <set>

#include "tsdb/api/series_list.h"
#include "tsdb/base/logging.h"

namespace promethium::remote {
namespace {

constexpr std::string_view kLog = "remote";

// Every required matcher appears among `matchers` as name="value".
bool HasRequiredMatchers(const Labels& required, const Matchers& matchers) {
  for (const Label& r : required) {
    const bool found = std::any_of(matchers.begin(), matchers.end(), [&](const Matcher& m) {
      return m.type() == MatchType::kEqual && m.name() == r.name && m.value() == r.value;
    });
    if (!found) return false;
  }
  return true;
}

// Iterates one answered series' floats and histograms merged by time (the
// codec leaves no timestamp in both).
class RemoteSeriesIterator final : public SampleIterator {
 public:
  explicit RemoteSeriesIterator(const RemoteSeries* series) : s_(series) {}

  ValueType Next() override {
    if (started_) {
      if (current_ == ValueType::kNone) return current_;
      if (current_ == ValueType::kFloat)
        ++fi_;
      else
        ++hi_;
    }
    started_ = true;
    return Settle();
  }

  ValueType Seek(int64_t t) override {
    if (started_ && (current_ == ValueType::kNone || AtT() >= t)) return current_;
    while (fi_ < s_->samples.size() && s_->samples[fi_].t < t) ++fi_;
    while (hi_ < s_->histograms.size() && s_->histograms[hi_].t < t) ++hi_;
    started_ = true;
    return Settle();
  }

  Sample At() const override { return s_->samples[fi_]; }
  int64_t AtHistogram(Histogram* h) const override {
    *h = s_->histograms[hi_].h;
    return s_->histograms[hi_].t;
  }
  int64_t AtFloatHistogram(FloatHistogram* fh) const override {
    const RemoteHistogram& rh = s_->histograms[hi_];
    *fh = rh.is_float ? rh.fh : rh.h.ToFloat();
    return rh.t;
  }
  int64_t AtT() const override { return current_ == ValueType::kFloat ? s_->samples[fi_].t : s_->histograms[hi_].t; }
  Status Err() const override { return Status::OK(); }

 private:
  ValueType Settle() {
    const bool has_float = fi_ < s_->samples.size();
    const bool has_hist = hi_ < s_->histograms.size();
    if (has_float && (!has_hist || s_->samples[fi_].t < s_->histograms[hi_].t)) {
      current_ = ValueType::kFloat;
    } else if (has_hist) {
      current_ = s_->histograms[hi_].is_float ? ValueType::kFloatHistogram : ValueType::kHistogram;
    } else {
      current_ = ValueType::kNone;
    }
    return current_;
  }

  const RemoteSeries* s_;
  size_t fi_ = 0, hi_ = 0;
  bool started_ = false;
  ValueType current_ = ValueType::kNone;
};

class RemoteSeriesView final : public Series {
 public:
  explicit RemoteSeriesView(RemoteSeries series) : series_(std::move(series)) {}
  const Labels& labels() const override { return series_.labels; }
  std::unique_ptr<SampleIterator> Iterator(std::unique_ptr<SampleIterator> /*reuse*/) const override {
    return std::make_unique<RemoteSeriesIterator>(&series_);
  }

 private:
  RemoteSeries series_;
};

class RemoteSeriesSet final : public SeriesSet {
 public:
  explicit RemoteSeriesSet(SeriesList series) {
    series_.reserve(series.size());
    for (RemoteSeries& s : series) series_.emplace_back(std::move(s));
  }
  bool Next() override { return ++pos_ < series_.size(); }
  const Series& At() const override { return series_[pos_]; }
  Status Err() const override { return Status::OK(); }

 private:
  std::vector<RemoteSeriesView> series_;
  size_t pos_ = static_cast<size_t>(-1);
};

class RemoteQuerier final : public Querier {
 public:
  RemoteQuerier(std::shared_ptr<RemoteReader> reader, RemoteQueryOptions options, int64_t mint, int64_t maxt)
      : reader_(std::move(reader)), options_(std::move(options)), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> Select(bool /*sorted*/, const SelectHints* hints, const Matchers& matchers) override {
    Result<SeriesList> series = Read(hints, matchers);
    if (!series.ok()) return ErrorSeriesSet(series.status());
    return std::make_unique<RemoteSeriesSet>(std::move(series).value());
  }

  Result<std::vector<std::string>> LabelValues(std::string_view name, const Matchers& matchers) override {
    const SelectHints hints = SeriesOnly();
    PROMETHIUM_ASSIGN_OR_RETURN(SeriesList series, Read(&hints, OrAllSeries(matchers)));
    std::set<std::string> values;
    for (const auto& s : series) {
      if (std::string_view v = s.labels.Get(name); !v.empty()) values.emplace(v);
    }
    return std::vector<std::string>(values.begin(), values.end());
  }

  Result<std::vector<std::string>> LabelNames(const Matchers& matchers) override {
    const SelectHints hints = SeriesOnly();
    PROMETHIUM_ASSIGN_OR_RETURN(SeriesList series, Read(&hints, OrAllSeries(matchers)));
    std::set<std::string> names;
    for (const auto& s : series) {
      for (const Label& l : s.labels) names.insert(l.name);
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

 private:
  // Label queries need no samples: the "series" hint lets the server leave
  // them out (see ReadClient).
  SelectHints SeriesOnly() const {
    SelectHints h;
    h.start = mint_;
    h.end = maxt_;
    h.func = "series";
    return h;
  }

  static Matchers OrAllSeries(const Matchers& matchers) {
    if (!matchers.empty()) return matchers;
    return {Matcher::Make(MatchType::kRegexMatch, std::string(kMetricName), ".+").value()};
  }

  // The answer for `matchers`: nothing when a required matcher is missing;
  // external labels added to the query and stripped from the answer.
  Result<SeriesList> Read(const SelectHints* hints, const Matchers& matchers) {
    if (!HasRequiredMatchers(options_.required_matchers, matchers)) return SeriesList{};
    ReadQuery query;
    query.start_ms = mint_;
    query.end_ms = maxt_;
    query.matchers = matchers;
    if (hints != nullptr) {
      query.hints = *hints;
      query.has_hints = true;
    }
    std::vector<std::string> added;
    for (const Label& l : options_.external_labels) {
      const bool constrained =
          std::any_of(matchers.begin(), matchers.end(), [&](const Matcher& m) { return m.name() == l.name; });
      if (constrained) continue;
      query.matchers.push_back(Matcher::Make(MatchType::kEqual, l.name, l.value).value());
      added.push_back(l.name);
    }
    Result<SeriesList> series = reader_->Read(query);
    if (!series.ok()) return series.status().WithContext("remote_read");
    if (added.empty()) return series;
    for (RemoteSeries& s : *series) s.labels = s.labels.Drop(added);
    std::sort(series->begin(), series->end(),
              [](const RemoteSeries& a, const RemoteSeries& b) { return a.labels < b.labels; });
    return series;
  }

  std::shared_ptr<RemoteReader> reader_;
  const RemoteQueryOptions options_;
  int64_t mint_, maxt_;
};

class EmptyQuerier final : public Querier {
 public:
  std::unique_ptr<SeriesSet> Select(bool, const SelectHints*, const Matchers&) override {
    return ErrorSeriesSet(Status::OK());
  }
  Result<std::vector<std::string>> LabelValues(std::string_view, const Matchers&) override {
    return std::vector<std::string>{};
  }
  Result<std::vector<std::string>> LabelNames(const Matchers&) override { return std::vector<std::string>{}; }
};

// A set whose error, if any, is reported as a warning instead.
class SecondarySeriesSet final : public SeriesSet {
 public:
  explicit SecondarySeriesSet(std::unique_ptr<SeriesSet> inner) : inner_(std::move(inner)) {}
  bool Next() override {
    if (done_) return false;
    if (inner_->Next()) return true;
    done_ = true;
    if (!inner_->Err().ok()) failure_ = inner_->Err().message();
    return false;
  }
  const Series& At() const override { return inner_->At(); }
  Status Err() const override { return Status::OK(); }
  std::vector<std::string> Warnings() const override {
    std::vector<std::string> out = inner_->Warnings();
    if (!failure_.empty()) out.push_back(failure_);
    return out;
  }

 private:
  std::unique_ptr<SeriesSet> inner_;
  bool done_ = false;
  std::string failure_;
};

class SecondaryQuerier final : public Querier {
 public:
  explicit SecondaryQuerier(std::unique_ptr<Querier> inner) : inner_(std::move(inner)) {}
  std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints* hints, const Matchers& matchers) override {
    return std::make_unique<SecondarySeriesSet>(inner_->Select(sorted, hints, matchers));
  }
  Result<std::vector<std::string>> LabelValues(std::string_view name, const Matchers& matchers) override {
    return OrEmpty(inner_->LabelValues(name, matchers));
  }
  Result<std::vector<std::string>> LabelNames(const Matchers& matchers) override {
    return OrEmpty(inner_->LabelNames(matchers));
  }

 private:
  static std::vector<std::string> OrEmpty(Result<std::vector<std::string>> r) {
    if (r.ok()) return std::move(r).value();
    LogWarn(kLog, "Remote label query failed; answering from local storage only: err={}", r.status().message());
    return {};
  }
  std::unique_ptr<Querier> inner_;
};

}  // namespace

Result<std::unique_ptr<Querier>> RemoteQueryable::NewQuerier(int64_t mint, int64_t maxt) {
  if (!options_.read_recent) {
    // Prometheus's preferLocalStorage: the local storage answers from its
    // start time on.
    PROMETHIUM_ASSIGN_OR_RETURN(int64_t local_start, local_start_());
    if (mint > local_start) return NewEmptyQuerier();
    maxt = std::min(maxt, local_start);
  }
  return std::unique_ptr<Querier>(std::make_unique<RemoteQuerier>(reader_, options_, mint, maxt));
}

Result<std::shared_ptr<Queryable>> NewRemoteQueryable(const RemoteReadConfig& config, const Labels& external_labels,
                                                      LocalStartTimeFn local_start, ReadClientOptions client_options) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<ReadClient> client, ReadClient::Make(config, std::move(client_options)));
  RemoteQueryOptions options;
  if (config.filter_external_labels) options.external_labels = external_labels;
  options.required_matchers = config.required_matchers;
  options.read_recent = config.read_recent;
  return std::shared_ptr<Queryable>(
      std::make_shared<RemoteQueryable>(std::move(client), std::move(options), std::move(local_start)));
}

std::unique_ptr<Querier> NewEmptyQuerier() { return std::make_unique<EmptyQuerier>(); }

std::unique_ptr<Querier> NewSecondaryQuerier(std::unique_ptr<Querier> q) {
  return std::make_unique<SecondaryQuerier>(std::move(q));
}

}  // namespace promethium::remote
