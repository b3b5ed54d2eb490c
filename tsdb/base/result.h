// Result<T>: a value or a non-OK Status.
//
// Used wherever an operation on a hot or fallible path produces a value.
// Accessing value() of an error Result is a programming error (asserted).
// [[nodiscard]], as Status: drop one only with IgnoreError().
//
// Thread-safety: a plain value type, like Status.
#pragma once

#include <cassert>
#include <optional>
#include <utility>

#include "tsdb/base/status.h"

namespace promethium {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "a Result built from a Status must carry an error");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // Drops this result on purpose (see Status::IgnoreError).
  void IgnoreError() const {}

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace promethium

#define PROMETHIUM_CONCAT_INNER(a, b) a##b
#define PROMETHIUM_CONCAT(a, b) PROMETHIUM_CONCAT_INNER(a, b)
// PROMETHIUM_ASSIGN_OR_RETURN(auto x, Foo()); returns Foo()'s Status on error.
#define PROMETHIUM_ASSIGN_OR_RETURN(lhs, expr) \
  PROMETHIUM_ASSIGN_OR_RETURN_IMPL(PROMETHIUM_CONCAT(_res_, __LINE__), lhs, expr)
#define PROMETHIUM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) return tmp.status();                    \
  lhs = std::move(tmp).value()
