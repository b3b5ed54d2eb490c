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

class RemoteQuerier final : public Querier {
 public:
  RemoteQuerier(std::shared_ptr<RemoteReader> reader, RemoteQueryOptions options, int64_t mint, int64_t maxt)
      : reader_(std::move(reader)), options_(std::move(options)), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> Select(bool /*sorted*/, const SelectHints* hints, const Matchers& matchers) override {
    Result<SeriesList> series = Read(hints, matchers);
    if (!series.ok()) return ErrorSeriesSet(series.status());
    std::vector<std::unique_ptr<ListSeries>> list;
    list.reserve(series->size());
    for (RemoteSeries& s : *series)
      list.push_back(std::make_unique<ListSeries>(std::move(s.labels), std::move(s.samples)));
    return std::make_unique<ListSeriesSet>(std::move(list));
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
