#include "tsdb/histogram/bucket_bounds.h"

#include <cassert>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <limits>

#include "tsdb/histogram/exponential_bounds_table.h"

namespace promethium {

bool CustomBucketBoundsMatch(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

double ExponentialBucketBound(int32_t index, int32_t schema) {
  // The bound of the last bucket for finite values comes out as 2^1024 by the
  // formula, which overflows to +Inf; it is DBL_MAX instead so that +Inf is
  // the bound of the following (+-Inf observations) bucket only. 2^1024 is a
  // bucket boundary in every schema, so the check is one comparison.
  if (!IsExponentialSchema(schema)) {
    // Only schemas -4..8 have bounds here (Prometheus would panic); NaN makes
    // a caller that skipped Validate() visible instead of reading past the
    // table.
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (schema < 0) {
    const int64_t exp = static_cast<int64_t>(index) << -schema;
    if (exp == 1024) return DBL_MAX;
    if (exp > 1100) return std::numeric_limits<double>::infinity();
    if (exp < -1100) return 0;
    return std::ldexp(1.0, static_cast<int>(exp));
  }
  const int32_t frac_index = index & ((1 << schema) - 1);
  const double frac = kExponentialBoundFractions[(1 << schema) - 1 + frac_index];
  const int exp = (index >> schema) + 1;
  if (frac == 0.5 && exp == 1025) return DBL_MAX;
  return std::ldexp(frac, exp);
}

double BucketBound(int32_t index, int32_t schema, const std::vector<double>& custom_values) {
  if (!IsCustomBucketsSchema(schema)) return ExponentialBucketBound(index, schema);
  const auto n = static_cast<int32_t>(custom_values.size());
  assert(index >= -1 && index <= n && "custom bucket index out of bounds");
  if (index >= n) return std::numeric_limits<double>::infinity();
  if (index <= -1) return -std::numeric_limits<double>::infinity();
  return custom_values[static_cast<size_t>(index)];
}

namespace {

// Go's strconv shortest formatting with the %e/%f switch at exponents < -4
// or >= eprec (6 for %g, 21 for %v), exponents with a sign and two digits.
std::string FormatGoShortest(double v, int eprec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  const size_t e = sci.find('e');
  const int exp = std::stoi(sci.substr(e + 1));
  if (exp >= -4 && exp < eprec) {
    res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    return std::string(buf, res.ptr);
  }
  std::string out = sci.substr(0, e);
  out += exp < 0 ? "e-" : "e+";
  const int a = exp < 0 ? -exp : exp;
  if (a < 10) out.push_back('0');
  out += std::to_string(a);
  return out;
}

template <typename T>
std::string BoundsToString(const Bucket<T>& b, const std::string& count) {
  std::string out;
  out.push_back(b.lower_inclusive ? '[' : '(');
  out += FormatGoFloatG(b.lower);
  out.push_back(',');
  out += FormatGoFloatG(b.upper);
  out.push_back(b.upper_inclusive ? ']' : ')');
  out.push_back(':');
  out += count;
  return out;
}

}  // namespace

std::string FormatGoFloatG(double v) { return FormatGoShortest(v, 6); }
std::string FormatGoFloatV(double v) { return FormatGoShortest(v, 21); }

std::string BucketToString(const Bucket<double>& b) { return BoundsToString(b, FormatGoFloatV(b.count)); }
std::string BucketToString(const Bucket<uint64_t>& b) { return BoundsToString(b, std::to_string(b.count)); }

double BucketFractionBelow(const Bucket<double>& b, double v, bool linear) {
  if (linear) return (v - b.lower) / (b.upper - b.lower);
  // On a log scale exponential bounds are evenly spaced, so this is the
  // linear case over log2 of the absolute values; negative buckets mirror.
  const double log_lower = std::log2(std::fabs(b.lower));
  const double log_upper = std::log2(std::fabs(b.upper));
  const double log_v = std::log2(std::fabs(v));
  if (v > 0) return (log_v - log_lower) / (log_upper - log_lower);
  return 1 - ((log_v - log_upper) / (log_lower - log_upper));
}

}  // namespace promethium
