// Status: the outcome of an operation that returns no value.
//
// Errors on hot paths are values, not exceptions (LevelDB's convention).
// A Status is either OK or carries a code and a human-readable message.
// Third-party exceptions (yaml-cpp, Boost) are caught at module edges and
// turned into a Status there.
//
// Thread-safety: a Status is a plain value; distinct objects may be used
// from distinct threads freely, one object needs external synchronization.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace promethium {

// [[nodiscard]]: a dropped Status is a compile warning. Where dropping it is
// right (best-effort cleanup, closing on an error path), say so with
// IgnoreError() and a comment on why.
class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad input from a user or a peer
    kNotFound,
    kCorruption,         // checksum mismatch, torn record, bad format
    kIOError,            // the filesystem failed us (ENOSPC, EIO, ...)
    kOutOfBounds,        // sample too old / outside the appendable window
    kOutOfOrder,         // sample older than the series' newest sample
    kDuplicate,          // same timestamp, different value
    kResourceExhausted,  // a configured limit was hit
    kCanceled,
    kDeadlineExceeded,
    kUnsupported,  // a valid request we do not implement (yet)
    kInternal,
    // The system is not in a state the operation can run in, and nothing was
    // changed: e.g. a data directory holding files of unknown format.
    kFailedPrecondition,
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status OutOfBounds(std::string msg) { return {Code::kOutOfBounds, std::move(msg)}; }
  static Status OutOfOrder(std::string msg) { return {Code::kOutOfOrder, std::move(msg)}; }
  static Status Duplicate(std::string msg) { return {Code::kDuplicate, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) { return {Code::kResourceExhausted, std::move(msg)}; }
  static Status Canceled(std::string msg) { return {Code::kCanceled, std::move(msg)}; }
  static Status DeadlineExceeded(std::string msg) { return {Code::kDeadlineExceeded, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {Code::kUnsupported, "unsupported: " + std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) { return {Code::kFailedPrecondition, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<code name>: <message>", or "OK".
  std::string ToString() const;

  // Returns a copy with `context + ": "` prefixed to the message.
  Status WithContext(std::string_view context) const;

  // Drops this status on purpose: only where a failure leaves nothing to do
  // (best-effort cleanup, closing on an error path). Comment why at the call.
  void IgnoreError() const {}

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

std::string_view CodeName(Status::Code code);

}  // namespace promethium

// Propagates a non-OK Status to the caller.
#define PROMETHIUM_RETURN_IF_ERROR(expr) \
  do {                                   \
    ::promethium::Status _st = (expr);   \
    if (!_st.ok()) return _st;           \
  } while (0)
