// QueryMemory's error (see query_memory.h).
#include "promql/engine/query_memory.h"

#include <string>

#include <fmt/format.h>

namespace promethium::promql {

Status QueryMemory::LimitError() const {
  // Prometheus's wording for --query.max-samples, adapted to bytes; the
  // "too much data" prefix lets clients match both limits alike.
  return Status::ResourceExhausted(
      fmt::format("query processing would load too much data into memory in query execution: {} bytes held exceeds "
                  "--query.max-memory={} bytes",
                  current_, limit_));
}

}  // namespace promethium::promql
