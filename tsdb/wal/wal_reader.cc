#include "tsdb/wal/wal_reader.h"

#include <algorithm>
#include <vector>

#include "tsdb/base/logging.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/checkpoint_reader.h"
#include "tsdb/wal/segment.h"

namespace promethium::tsdb::wal {
namespace {

// Fails, touching nothing, unless every file the repair would change is
// provably one of our segments.
Status CheckRepairable(Env* env, const std::string& dir, const std::vector<uint64_t>& segments, size_t i,
                       const SegmentReadOutcome& outcome) {
  for (size_t j = i; j < segments.size(); ++j) {
    const std::string path = SegmentPath(dir, segments[j]);
    PROMETHIUM_ASSIGN_OR_RETURN(bool ours, IsOurSegmentOrEmpty(env, path));
    if (!ours) {
      return Status::FailedPrecondition(
          "wal: " + SegmentPath(dir, segments[i]) + " is damaged at offset " + std::to_string(outcome.good_bytes) +
          " (" + outcome.problem + "), but " + path +
          " is not a Promethium WAL segment, so nothing was repaired or removed; move the files that are not "
          "Promethium's out of " +
          dir + " and start again");
    }
  }
  return Status::OK();
}

// Truncates segments[i] at good_bytes and deletes every later segment.
Status Repair(Env* env, const std::string& dir, const std::vector<uint64_t>& segments, size_t i,
              const SegmentReadOutcome& outcome) {
  PROMETHIUM_RETURN_IF_ERROR(CheckRepairable(env, dir, segments, i, outcome));
  LogWarn("tsdb", "WAL corruption in segment {} at offset {}: {}; truncating it there and deleting {} later segment(s)",
          SegmentPath(dir, segments[i]), outcome.good_bytes, outcome.problem, segments.size() - i - 1);
  PROMETHIUM_RETURN_IF_ERROR(env->TruncateFile(SegmentPath(dir, segments[i]), outcome.good_bytes));
  for (size_t j = i + 1; j < segments.size(); ++j) {
    PROMETHIUM_RETURN_IF_ERROR(env->RemoveFile(SegmentPath(dir, segments[j])));
  }
  return env->SyncDir(dir);
}

// Reads the newest checkpoint, if any, and drops the segments it covers
// from *segments.
Status ReplayCheckpoint(Env* env, const std::string& dir, const RecordHandler& on_record,
                        std::vector<uint64_t>* segments, ReplayResult* result) {
  PROMETHIUM_RETURN_IF_ERROR(RemoveTmpCheckpoints(env, dir));
  PROMETHIUM_ASSIGN_OR_RETURN(std::optional<uint64_t> checkpoint, LastCheckpoint(env, dir));
  if (!checkpoint.has_value()) return Status::OK();
  PROMETHIUM_RETURN_IF_ERROR(
      ReadCheckpoint(env, dir + "/" + CheckpointName(*checkpoint), on_record, &result->checkpoint_records));
  result->checkpoint = checkpoint;
  result->next_segment = *checkpoint + 1;
  std::erase_if(*segments, [&](uint64_t s) { return s <= *checkpoint; });
  if (!segments->empty() && segments->front() != *checkpoint + 1) {
    return Status::Corruption("wal: segments are missing between " + CheckpointName(*checkpoint) + " and segment " +
                              SegmentName(segments->front()) + " in " + dir);
  }
  return Status::OK();
}

}  // namespace

Result<ReplayResult> ReplayAndRepair(Env* env, const std::string& dir, const RecordHandler& on_record,
                                     Counter* corruptions) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(env, dir));
  ReplayResult result;
  PROMETHIUM_RETURN_IF_ERROR(ReplayCheckpoint(env, dir, on_record, &segments, &result));
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0 && segments[i] != segments[i - 1] + 1) {
      return Status::Corruption("wal: segments are not sequential: " + SegmentName(segments[i - 1]) +
                                " is followed by " + SegmentName(segments[i]) + " in " + dir);
    }
    SegmentReadOutcome outcome;
    Status st = ReadSegmentRecords(env, SegmentPath(dir, segments[i]), on_record, &outcome);
    if (!st.ok()) return st.WithContext("wal: replaying segment " + SegmentPath(dir, segments[i]));
    result.records += outcome.records;
    result.bytes += outcome.good_bytes;
    result.segments++;
    result.next_segment = segments[i] + 1;
    if (!outcome.problem.empty()) {
      PROMETHIUM_RETURN_IF_ERROR(Repair(env, dir, segments, i, outcome));
      if (corruptions != nullptr) corruptions->Inc();
      result.repaired = true;
      break;
    }
  }
  return result;
}

}  // namespace promethium::tsdb::wal
