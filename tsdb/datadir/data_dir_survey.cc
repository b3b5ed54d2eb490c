#include "tsdb/datadir/data_dir_survey.h"

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <set>
#include <string_view>

#include "tsdb/block/block_meta.h"
#include "tsdb/block/chunk_segments.h"
#include "tsdb/block/compactor.h"
#include "tsdb/block/index_writer.h"
#include "tsdb/block/tombstones.h"
#include "tsdb/wal/segment.h"

namespace promethium::tsdb {
namespace {

// How many foreign paths an error message names before "and N more".
constexpr size_t kNamedInMessage = 5;

bool IsSixDigitName(const std::string& name) {
  return name.size() == 6 && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The owners of the segment files directly in `dir` (other names ignored);
// unknown ones go to `foreign`.
Status ProbeSegments(Env* env, const std::string& dir, std::set<FileOwner>* owners,
                     std::vector<SurveyedPath>* foreign) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    uint64_t index = 0;
    const std::string path = dir + "/" + name;
    if (!wal::ParseSegmentName(name, &index) || env->IsDirectory(path)) continue;
    PROMETHIUM_ASSIGN_OR_RETURN(FileProbe probe, ProbeWalSegment(env, path));
    if (probe.owner == FileOwner::kUnknown) foreign->push_back({path, probe.detail});
    owners->insert(probe.owner);
  }
  return Status::OK();
}

Status SurveyWal(Env* env, const std::string& dir, DataDirSurvey* out) {
  std::set<FileOwner> owners;
  PROMETHIUM_RETURN_IF_ERROR(ProbeSegments(env, dir, &owners, &out->foreign));
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  for (const std::string& name : names) {
    if (name.starts_with("checkpoint.") && env->IsDirectory(dir + "/" + name)) {
      PROMETHIUM_RETURN_IF_ERROR(ProbeSegments(env, dir + "/" + name, &owners, &out->foreign));
    }
  }
  if (owners.contains(FileOwner::kPromethium) && owners.contains(FileOwner::kPrometheus)) {
    out->foreign.push_back({dir, "holds both Promethium and Prometheus WAL segments"});
  } else if (owners.contains(FileOwner::kPrometheus)) {
    out->wal = FileOwner::kPrometheus;
  } else if (owners.contains(FileOwner::kPromethium)) {
    out->wal = FileOwner::kPromethium;
  }
  return Status::OK();
}

// wbl/ and chunk_snapshot.*/ are Prometheus's names, in its WAL framing.
Status SurveyPrometheusLog(Env* env, const std::string& dir, const std::string& what, DataDirSurvey* out) {
  std::set<FileOwner> owners;
  PROMETHIUM_RETURN_IF_ERROR(ProbeSegments(env, dir, &owners, &out->foreign));
  if (owners.contains(FileOwner::kPromethium)) {
    out->foreign.push_back({dir, what + " holds Promethium WAL segments, which Promethium never writes there"});
    return Status::OK();
  }
  out->prometheus_artifacts.push_back({dir, what});
  return Status::OK();
}

Status SurveyHeadChunks(Env* env, const std::string& dir, DataDirSurvey* out) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  std::sort(names.begin(), names.end());
  bool prometheus = false;
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    if (!IsSixDigitName(name) || env->IsDirectory(path)) continue;
    PROMETHIUM_ASSIGN_OR_RETURN(FileProbe probe, ProbeHeadChunkFile(env, path));
    if (probe.owner == FileOwner::kUnknown) out->foreign.push_back({path, probe.detail});
    if (probe.owner == FileOwner::kPromethium) out->promethium_head_chunks = true;
    if (probe.owner == FileOwner::kPrometheus) prometheus = true;
  }
  if (prometheus && out->promethium_head_chunks) {
    out->foreign.push_back({dir, "holds both Promethium and Prometheus head chunk files"});
  } else if (prometheus) {
    out->prometheus_artifacts.push_back({dir, "Prometheus head chunks (chunks_head/)"});
  }
  return Status::OK();
}

// Whether `head` (a file's first bytes) is the big-endian form of one of
// `magics` or a prefix of it: a write torn before the magic was complete.
bool StartsLikeOneOf(std::string_view head, std::initializer_list<uint32_t> magics) {
  for (uint32_t m : magics) {
    const char bytes[4] = {static_cast<char>(m >> 24), static_cast<char>(m >> 16), static_cast<char>(m >> 8),
                           static_cast<char>(m)};
    const size_t n = std::min(head.size(), sizeof(bytes));
    if (head.substr(0, n) == std::string_view(bytes, n)) return true;
  }
  return false;
}

// Whether a file inside a temporary block directory is one a block writer
// of ours or Prometheus's makes (index, chunk segments, tombstones,
// meta.json, and their *.tmp stages), judged by its first bytes.
Result<bool> IsBlockWriterFile(Env* env, const std::string& path, const std::string& name, bool in_chunks) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  char scratch[4];
  std::string_view head;
  PROMETHIUM_RETURN_IF_ERROR(file->Read(0, std::min<uint64_t>(file->Size(), sizeof(scratch)), &head, scratch));
  if (head.empty()) return true;
  if (in_chunks) return StartsLikeOneOf(head, {kChunkSegmentMagic, kPrometheusChunkSegmentMagic});
  if (name.starts_with("index")) return StartsLikeOneOf(head, {kIndexMagic, kPrometheusIndexMagic});
  if (name.starts_with("tombstones")) return StartsLikeOneOf(head, {kTombstonesMagic, kPrometheusTombstonesMagic});
  if (name.starts_with("meta.json")) return head.front() == '{';
  return false;
}

// Whether every file under a temporary block directory is a block writer's
// (so the directory is the leftover of an interrupted write or deletion).
Result<bool> HoldsOnlyBlockWriterFiles(Env* env, const std::string& dir, bool in_chunks) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    if (env->IsDirectory(path)) {
      if (in_chunks || name != "chunks") return false;
      PROMETHIUM_ASSIGN_OR_RETURN(bool known, HoldsOnlyBlockWriterFiles(env, path, true));
      if (!known) return false;
      continue;
    }
    PROMETHIUM_ASSIGN_OR_RETURN(bool known, IsBlockWriterFile(env, path, name, in_chunks));
    if (!known) return false;
  }
  return true;
}

Status SurveyTmpBlockDir(Env* env, const std::string& dir, const std::string& name, DataDirSurvey* out) {
  PROMETHIUM_ASSIGN_OR_RETURN(bool removable, HoldsOnlyBlockWriterFiles(env, dir + "/" + name, false));
  if (removable) {
    out->removable_tmp_dirs.push_back(name);
  } else {
    out->foreign_tmp_dirs.push_back(
        {dir + "/" + name, "holds files that neither Promethium's nor Prometheus's block writer makes"});
  }
  return Status::OK();
}

Status SurveyEntry(Env* env, const std::string& dir, const std::string& name, DataDirSurvey* out) {
  const std::string path = dir + "/" + name;
  if (!env->IsDirectory(path)) return Status::OK();
  if (IsValidUlid(name)) {
    PROMETHIUM_ASSIGN_OR_RETURN(FileProbe probe, ProbeBlockDir(env, path));
    if (probe.owner == FileOwner::kPromethium) out->promethium_blocks.push_back(name);
    if (probe.owner == FileOwner::kPrometheus) out->prometheus_blocks.push_back(name);
    if (probe.owner == FileOwner::kUnknown || probe.owner == FileOwner::kEmpty) {
      out->foreign.push_back({path, probe.detail});
    }
    return Status::OK();
  }
  if (IsTmpBlockDir(name)) return SurveyTmpBlockDir(env, dir, name, out);
  if (name == "wal") return SurveyWal(env, path, out);
  if (name == "wbl") return SurveyPrometheusLog(env, path, "Prometheus out-of-order WAL (wbl/)", out);
  if (name.starts_with("chunk_snapshot.")) {
    return SurveyPrometheusLog(env, path, "Prometheus head snapshot (" + name + ")", out);
  }
  if (name == "chunks_head") return SurveyHeadChunks(env, path, out);
  return Status::OK();
}

}  // namespace

bool DataDirSurvey::HasPrometheusData() const { return !prometheus_blocks.empty() || HasPrometheusHead(); }

bool DataDirSurvey::HasPrometheusHead() const { return wal == FileOwner::kPrometheus || !prometheus_artifacts.empty(); }

Result<DataDirSurvey> SurveyDataDir(Env* env, const std::string& dir) {
  DataDirSurvey out;
  if (!env->FileExists(dir)) return out;
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    Status st = SurveyEntry(env, dir, name, &out);
    if (!st.ok()) return st.WithContext("surveying " + dir + "/" + name);
  }
  return out;
}

Status FailedPreconditionFor(const std::string& dir, const DataDirSurvey& survey) {
  std::string msg = "data directory " + dir + " holds files that are neither Promethium's nor Prometheus's: ";
  for (size_t i = 0; i < survey.foreign.size() && i < kNamedInMessage; ++i) {
    if (i > 0) msg += "; ";
    msg += survey.foreign[i].path + " (" + survey.foreign[i].detail + ")";
  }
  if (survey.foreign.size() > kNamedInMessage) {
    msg += "; and " + std::to_string(survey.foreign.size() - kNamedInMessage) + " more";
  }
  msg +=
      ". Nothing was modified. Move these files out of the data directory (or restore them from a backup) and "
      "start again";
  return Status::FailedPrecondition(std::move(msg));
}

}  // namespace promethium::tsdb
