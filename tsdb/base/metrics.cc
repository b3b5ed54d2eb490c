#include "tsdb/base/metrics.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace promethium {

void Counter::Inc(double delta) {
  double cur = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(cur, cur + delta, std::memory_order_relaxed)) {
  }
}

void Gauge::Add(double delta) {
  double cur = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(cur, cur + delta, std::memory_order_relaxed)) {
  }
}

HistogramMetric::HistogramMetric(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void HistogramMetric::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
  count_.fetch_add(1, std::memory_order_relaxed);
}

void HistogramMetric::Snapshot(std::vector<uint64_t>* buckets, double* sum, uint64_t* count) const {
  buckets->resize(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) (*buckets)[i] = counts_[i].load(std::memory_order_relaxed);
  *sum = sum_.load(std::memory_order_relaxed);
  *count = count_.load(std::memory_order_relaxed);
}

MetricsRegistry::Family& MetricsRegistry::GetFamily(const std::string& name, const std::string& help, Type type) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.type = type;
    it->second.help = help;
  } else if (it->second.type != type) {
    throw std::logic_error("metric " + name + " registered twice with different types");
  }
  return it->second;
}

namespace {
// The child for `labels` in family f, created if needed, with one more
// holder. Some callers Get* on every use (e.g. per HTTP request), so the
// count saturates instead of overflowing; such series are never released.
template <typename FamilyT>
auto& HoldChild(FamilyT& f, const MetricLabels& labels) {
  auto& c = f.children[labels];
  if (c.holders < std::numeric_limits<decltype(c.holders)>::max()) ++c.holders;
  return c;
}
}  // namespace

Counter* MetricsRegistry::GetCounter(const std::string& name, const std::string& help, const MetricLabels& labels) {
  MutexLock lock(&mu_);
  auto& c = HoldChild(GetFamily(name, help, Type::kCounter), labels);
  if (!c.counter) c.counter = std::make_unique<Counter>();
  return c.counter.get();
}

Gauge* MetricsRegistry::GetGauge(const std::string& name, const std::string& help, const MetricLabels& labels) {
  MutexLock lock(&mu_);
  auto& c = HoldChild(GetFamily(name, help, Type::kGauge), labels);
  if (!c.gauge) c.gauge = std::make_unique<Gauge>();
  return c.gauge.get();
}

HistogramMetric* MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                               std::vector<double> bounds, const MetricLabels& labels) {
  MutexLock lock(&mu_);
  auto& c = HoldChild(GetFamily(name, help, Type::kHistogram), labels);
  if (!c.histogram) c.histogram = std::make_unique<HistogramMetric>(std::move(bounds));
  return c.histogram.get();
}

Summary* MetricsRegistry::GetSummary(const std::string& name, const std::string& help, const MetricLabels& labels) {
  MutexLock lock(&mu_);
  auto& c = HoldChild(GetFamily(name, help, Type::kSummary), labels);
  if (!c.summary) c.summary = std::make_unique<Summary>();
  return c.summary.get();
}

void MetricsRegistry::RegisterGaugeFunc(const std::string& name, const std::string& help, std::function<double()> fn,
                                        const MetricLabels& labels) {
  MutexLock lock(&mu_);
  auto& c = HoldChild(GetFamily(name, help, Type::kGauge), labels);
  c.fn = std::move(fn);
}

void MetricsRegistry::RegisterCounterFunc(const std::string& name, const std::string& help, std::function<double()> fn,
                                          const MetricLabels& labels) {
  MutexLock lock(&mu_);
  auto& c = HoldChild(GetFamily(name, help, Type::kCounter), labels);
  c.fn = std::move(fn);
}

void MetricsRegistry::Release(const std::string& name, const MetricLabels& labels) {
  MutexLock lock(&mu_);
  auto fam = families_.find(name);
  if (fam == families_.end()) return;
  auto child = fam->second.children.find(labels);
  if (child == fam->second.children.end() || --child->second.holders > 0) return;
  fam->second.children.erase(child);
  if (fam->second.children.empty()) families_.erase(fam);
}

std::string FormatPromFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  auto e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  if (exp >= -4 && exp < 6) {  // Go's 'g' with shortest precision uses eprec 6
    res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    return std::string(buf, res.ptr);
  }
  // Go writes at least two exponent digits with an explicit sign: 1e+06, 1e-05.
  std::string out = sci.substr(0, e);
  out += exp < 0 ? "e-" : "e+";
  int a = exp < 0 ? -exp : exp;
  if (a < 10) out.push_back('0');
  out += std::to_string(a);
  return out;
}

std::string FormatJsonFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];  // the longest fixed form of a double is ~330 characters
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

namespace {
void AppendEscapedLabelValue(std::string* out, const std::string& v) {
  for (char c : v) {
    if (c == '\\')
      out->append("\\\\");
    else if (c == '"')
      out->append("\\\"");
    else if (c == '\n')
      out->append("\\n");
    else
      out->push_back(c);
  }
}

void AppendSeries(std::string* out, const std::string& name, const MetricLabels& labels,
                  const std::pair<std::string, std::string>* extra, double value) {
  out->append(name);
  if (!labels.empty() || extra != nullptr) {
    out->push_back('{');
    bool first = true;
    auto add = [&](const std::string& k, const std::string& v) {
      if (!first) out->push_back(',');
      first = false;
      out->append(k);
      out->append("=\"");
      AppendEscapedLabelValue(out, v);
      out->push_back('"');
    };
    for (const auto& [k, v] : labels) add(k, v);
    if (extra != nullptr) add(extra->first, extra->second);
    out->push_back('}');
  }
  out->push_back(' ');
  out->append(FormatPromFloat(value));
  out->push_back('\n');
}

void AppendHelp(std::string* out, const std::string& help) {
  for (char c : help) {
    if (c == '\\')
      out->append("\\\\");
    else if (c == '\n')
      out->append("\\n");
    else
      out->push_back(c);
  }
}

void AppendHistogram(std::string* out, const std::string& name, const MetricLabels& labels, const HistogramMetric& h) {
  std::vector<uint64_t> buckets;
  double sum = 0;
  uint64_t count = 0;
  h.Snapshot(&buckets, &sum, &count);
  uint64_t cum = 0;
  const auto& bounds = h.bounds();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cum += buckets[i];
    std::pair<std::string, std::string> le{"le", i < bounds.size() ? FormatPromFloat(bounds[i]) : "+Inf"};
    AppendSeries(out, name + "_bucket", labels, &le, static_cast<double>(cum));
  }
  AppendSeries(out, name + "_sum", labels, nullptr, sum);
  AppendSeries(out, name + "_count", labels, nullptr, static_cast<double>(count));
}

void AppendSummary(std::string* out, const std::string& name, const MetricLabels& labels, Summary& s) {
  std::vector<double> values;
  double sum = 0;
  uint64_t count = 0;
  s.Snapshot(&values, &sum, &count);
  for (size_t i = 0; i < values.size(); ++i) {
    std::pair<std::string, std::string> q{"quantile", FormatPromFloat(s.quantiles()[i])};
    AppendSeries(out, name, labels, &q, values[i]);
  }
  AppendSeries(out, name + "_sum", labels, nullptr, sum);
  AppendSeries(out, name + "_count", labels, nullptr, static_cast<double>(count));
}
}  // namespace

std::string MetricsRegistry::RenderText() const {
  static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram", "summary"};
  MutexLock lock(&mu_);
  std::string out;
  for (const auto& [name, fam] : families_) {
    out.append("# HELP ").append(name).append(" ");
    AppendHelp(&out, fam.help);
    out.append("\n# TYPE ").append(name).append(" ");
    out.append(kTypeNames[static_cast<int>(fam.type)]);
    out.push_back('\n');
    for (const auto& [labels, child] : fam.children) {
      if (child.histogram) {
        AppendHistogram(&out, name, labels, *child.histogram);
      } else if (child.summary) {
        AppendSummary(&out, name, labels, *child.summary);
      } else {
        double v = child.fn        ? child.fn()
                   : child.counter ? child.counter->Value()
                   : child.gauge   ? child.gauge->Value()
                                   : 0;
        AppendSeries(&out, name, labels, nullptr, v);
      }
    }
  }
  return out;
}

}  // namespace promethium
