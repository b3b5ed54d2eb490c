#include "tsdb/wal/checkpoint_reader.h"

#include <fmt/format.h>

#include <vector>

#include "tsdb/wal/segment.h"

namespace promethium::tsdb::wal {

Status ReadCheckpoint(Env* env, const std::string& checkpoint_dir, const RecordHandler& on_record, uint64_t* records) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(env, checkpoint_dir));
  if (segments.empty() || segments.front() != 0) {
    return Status::Corruption("wal: checkpoint " + checkpoint_dir + " has no segment 00000000");
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string path = SegmentPath(checkpoint_dir, segments[i]);
    if (segments[i] != i) {
      return Status::Corruption("wal: checkpoint segments are not sequential: " + SegmentName(i) + " is missing in " +
                                checkpoint_dir);
    }
    SegmentReadOutcome outcome;
    PROMETHIUM_RETURN_IF_ERROR(
        ReadSegmentRecords(env, path, on_record, &outcome).WithContext("wal: reading checkpoint segment " + path));
    if (records != nullptr) *records += outcome.records;
    if (!outcome.problem.empty()) {
      return Status::Corruption(fmt::format("wal: corrupt checkpoint segment {} at offset {}: {}", path,
                                            outcome.good_bytes, outcome.problem));
    }
  }
  return Status::OK();
}

}  // namespace promethium::tsdb::wal
