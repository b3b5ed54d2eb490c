#include "tsdb/base/status.h"

namespace promethium {

std::string_view CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "OK";
    case Status::Code::kInvalidArgument: return "invalid argument";
    case Status::Code::kNotFound: return "not found";
    case Status::Code::kCorruption: return "corruption";
    case Status::Code::kIOError: return "I/O error";
    case Status::Code::kOutOfBounds: return "out of bounds";
    case Status::Code::kOutOfOrder: return "out of order sample";
    case Status::Code::kDuplicate: return "duplicate sample for timestamp";
    case Status::Code::kResourceExhausted: return "resource exhausted";
    case Status::Code::kCanceled: return "canceled";
    case Status::Code::kDeadlineExceeded: return "deadline exceeded";
    case Status::Code::kUnsupported: return "unsupported";
    case Status::Code::kInternal: return "internal error";
    case Status::Code::kFailedPrecondition: return "failed precondition";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg));
}

}  // namespace promethium
