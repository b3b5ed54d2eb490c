#include "tsdb/block/block_format.h"

namespace promethium::tsdb {

const char* BlockFormatName(BlockFormat format) {
  switch (format) {
    case BlockFormat::kPrometheus: return "prometheus";
    case BlockFormat::kPromethium: break;
  }
  return "promethium";
}

}  // namespace promethium::tsdb
