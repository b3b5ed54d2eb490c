#include "tsdb/prometheus_format/wal_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "tsdb/prometheus_format/wal_records.h"
#include "tsdb/prometheus_format/wlog_reader.h"

namespace promethium::tsdb::prometheus_format {
namespace {

constexpr std::string_view kCheckpointPrefix = "checkpoint.";
constexpr size_t kNoTail = static_cast<size_t>(-1);

// A segment or checkpoint index: decimal digits only (Prometheus writes 8,
// zero-padded). "checkpoint.00000003.tmp" and the like do not parse.
bool ParseIndex(std::string_view s, uint64_t* index) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *index = v;
  return true;
}

std::string SegmentPath(const std::string& dir, uint64_t index) { return fmt::format("{}/{:08d}", dir, index); }

struct Listing {
  std::vector<uint64_t> segments;     // ascending
  std::vector<uint64_t> checkpoints;  // ascending
};

Result<Listing> ListDir(Env* env, const std::string& dir) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  Listing out;
  for (const std::string& name : names) {
    uint64_t index = 0;
    if (ParseIndex(name, &index)) {
      out.segments.push_back(index);
    } else if (name.starts_with(kCheckpointPrefix) && ParseIndex(name.substr(kCheckpointPrefix.size()), &index)) {
      if (!env->IsDirectory(fmt::format("{}/{}", dir, name))) {
        return Status::Corruption(fmt::format("Prometheus WAL checkpoint {}/{} is not a directory", dir, name));
      }
      out.checkpoints.push_back(index);
    }
  }
  std::sort(out.segments.begin(), out.segments.end());
  std::sort(out.checkpoints.begin(), out.checkpoints.end());
  return out;
}

// Segments must follow each other, the first one being `first` if given.
Status CheckConsecutive(const std::string& dir, const std::vector<uint64_t>& segments, std::optional<uint64_t> first,
                        std::string_view first_after) {
  if (first.has_value() && !segments.empty() && segments.front() != *first) {
    return Status::Corruption(
        fmt::format("gap in Prometheus WAL {}: {} is followed by segment {}; segment {} is missing", dir, first_after,
                    SegmentPath(dir, segments.front()), SegmentPath(dir, *first)));
  }
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i] != segments[i - 1] + 1) {
      return Status::Corruption(fmt::format(
          "gap in Prometheus WAL {}: segment {} is followed by {}; {} segment(s) missing", dir,
          SegmentPath(dir, segments[i - 1]), SegmentPath(dir, segments[i]), segments[i] - segments[i - 1] - 1));
    }
  }
  return Status::OK();
}

// Decodes records and hands them to the visitor, counting as it goes.
class Dispatcher {
 public:
  Dispatcher(PrometheusWalVisitor* visitor, PrometheusWalReadStats* stats) : visitor_(visitor), stats_(stats) {}

  Status Handle(std::string_view rec, std::string_view kind, const std::string& path, uint64_t offset) {
    auto where = [&] { return fmt::format("{} {} at offset {}", kind, path, offset); };
    const uint8_t type = rec.empty() ? 0 : static_cast<uint8_t>(rec[0]);
    ++stats_->records;
    if (type < 1 || type > 10) return ReplayableRecordType(rec, where()).status();
    Status s = Deliver(static_cast<PromRecordType>(type), rec);
    if (s.ok()) return s;
    if (s.code() == Status::Code::kCorruption) return s.WithContext(where());
    return s.WithContext("replaying " + where());
  }

 private:
  Status Deliver(PromRecordType type, std::string_view rec) {
    switch (type) {
      case PromRecordType::kSeries:
        PROMETHIUM_RETURN_IF_ERROR(DecodePromSeries(rec, &series_));
        Count(&stats_->series_records, &stats_->series, series_.size());
        return visitor_->OnSeries(series_);
      case PromRecordType::kSamples:
        PROMETHIUM_RETURN_IF_ERROR(DecodePromSamples(rec, &samples_));
        Count(&stats_->sample_records, &stats_->samples, samples_.size());
        return visitor_->OnSamples(samples_);
      case PromRecordType::kTombstones:
        PROMETHIUM_RETURN_IF_ERROR(DecodePromTombstones(rec, &tombstones_));
        Count(&stats_->tombstone_records, &stats_->tombstones, tombstones_.size());
        return visitor_->OnTombstones(tombstones_);
      case PromRecordType::kExemplars:
        PROMETHIUM_RETURN_IF_ERROR(DecodePromExemplars(rec, &exemplars_));
        Count(&stats_->exemplar_records, &stats_->exemplars, exemplars_.size());
        return visitor_->OnExemplars(exemplars_);
      case PromRecordType::kMmapMarkers:
        PROMETHIUM_RETURN_IF_ERROR(CountPromMmapMarkers(rec).status());
        ++stats_->mmap_marker_records_skipped;
        return Status::OK();
      case PromRecordType::kMetadata:
        PROMETHIUM_RETURN_IF_ERROR(CountPromMetadata(rec).status());
        ++stats_->metadata_records_skipped;
        return Status::OK();
      case PromRecordType::kHistogramSamples:
      case PromRecordType::kCustomBucketsHistogramSamples:
        PROMETHIUM_RETURN_IF_ERROR(DecodePromHistogramSamples(rec, &histograms_));
        Count(&stats_->histogram_records, &stats_->histograms, histograms_.size());
        return visitor_->OnHistogramSamples(histograms_);
      case PromRecordType::kFloatHistogramSamples:
      case PromRecordType::kCustomBucketsFloatHistogramSamples:
        PROMETHIUM_RETURN_IF_ERROR(DecodePromFloatHistogramSamples(rec, &float_histograms_));
        Count(&stats_->histogram_records, &stats_->histograms, float_histograms_.size());
        return visitor_->OnFloatHistogramSamples(float_histograms_);
      default: return Status::Internal("unreachable record type");
    }
  }

  static void Count(uint64_t* records, uint64_t* entries, size_t n) {
    ++*records;
    *entries += n;
  }

  PrometheusWalVisitor* visitor_;
  PrometheusWalReadStats* stats_;
  std::vector<wal::RefSeries> series_;
  std::vector<wal::RefSample> samples_;
  std::vector<wal::Tombstone> tombstones_;
  std::vector<wal::RefExemplar> exemplars_;
  std::vector<wal::RefHistogramSample> histograms_;
  std::vector<wal::RefFloatHistogramSample> float_histograms_;
};

// Reads `segments` of `dir` in order. Damage in segments[tail] ends the read
// with a torn tail in the stats; damage anywhere else is Corruption.
// Counts the files read in *files_read.
Status ReadSegments(Env* env, const std::string& dir, const std::vector<uint64_t>& segments, size_t tail,
                    std::string_view kind, Dispatcher* dispatcher, PrometheusWalReadStats* stats,
                    uint64_t* files_read) {
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string path = SegmentPath(dir, segments[i]);
    ++*files_read;
    WlogSegmentOutcome out;
    PROMETHIUM_RETURN_IF_ERROR(ReadPrometheusWlogSegment(
        env, path, [&](std::string_view rec, uint64_t offset) { return dispatcher->Handle(rec, kind, path, offset); },
        &out));
    stats->bytes_read += out.good_bytes;
    if (out.damage.empty()) continue;
    std::string what = fmt::format("{} {} is damaged at offset {} ({} of its {} bytes read): {}", kind, path,
                                   out.damage_offset, out.good_bytes, out.file_size, out.damage);
    if (i != tail) return Status::Corruption(std::move(what));
    stats->torn_tail = std::move(what) + "; the rest of the segment is ignored (Prometheus would cut it off too)";
    stats->torn_tail_segment = path;
    stats->torn_tail_offset = out.damage_offset;
    return Status::OK();
  }
  return Status::OK();
}

// The position in `segments` of the last one holding any bytes, or kNoTail.
Result<size_t> LastNonEmpty(Env* env, const std::string& dir, const std::vector<uint64_t>& segments) {
  for (size_t i = segments.size(); i-- > 0;) {
    PROMETHIUM_ASSIGN_OR_RETURN(uint64_t size, env->GetFileSize(SegmentPath(dir, segments[i])));
    if (size > 0) return i;
  }
  return kNoTail;
}

// Reads the live segments of a WAL or WBL directory (after the checkpoint
// if any), tolerating damage at the tail of the last one holding data.
Status ReadLiveSegments(Env* env, const std::string& dir, const std::vector<uint64_t>& segments, std::string_view kind,
                        Dispatcher* dispatcher, PrometheusWalReadStats* stats) {
  PROMETHIUM_ASSIGN_OR_RETURN(size_t tail, LastNonEmpty(env, dir, segments));
  if (!segments.empty()) {
    stats->first_segment = static_cast<int64_t>(segments.front());
    stats->last_segment = static_cast<int64_t>(segments.back());
  }
  return ReadSegments(env, dir, segments, tail, kind, dispatcher, stats, &stats->segments_read);
}

Status ReadCheckpoint(Env* env, const std::string& cp_dir, Dispatcher* dispatcher, PrometheusWalReadStats* stats) {
  PROMETHIUM_ASSIGN_OR_RETURN(Listing listing, ListDir(env, cp_dir));
  PROMETHIUM_RETURN_IF_ERROR(CheckConsecutive(cp_dir, listing.segments, std::nullopt, ""));
  return ReadSegments(env, cp_dir, listing.segments, kNoTail, "Prometheus WAL checkpoint segment", dispatcher, stats,
                      &stats->checkpoint_segments);
}

}  // namespace

Status PrometheusWalVisitor::OnHistogramSamples(std::span<const wal::RefHistogramSample> samples) {
  return Status::Unsupported(
      fmt::format("{} native histogram samples in Prometheus's WAL: this reader does not keep native histograms, so "
                  "it refuses the WAL rather than drop them",
                  samples.size()));
}

Status PrometheusWalVisitor::OnFloatHistogramSamples(std::span<const wal::RefFloatHistogramSample> samples) {
  return Status::Unsupported(
      fmt::format("{} native float histogram samples in Prometheus's WAL: this reader does not keep native "
                  "histograms, so it refuses the WAL rather than drop them",
                  samples.size()));
}

Result<PrometheusWalReadStats> ReadPrometheusWal(Env* env, const std::string& wal_dir, PrometheusWalVisitor* visitor) {
  if (!env->IsDirectory(wal_dir)) return Status::NotFound("Prometheus WAL directory " + wal_dir + " does not exist");
  PROMETHIUM_ASSIGN_OR_RETURN(Listing listing, ListDir(env, wal_dir));
  PrometheusWalReadStats stats;
  Dispatcher dispatcher(visitor, &stats);
  std::vector<uint64_t> segments = listing.segments;
  std::optional<uint64_t> first;
  if (!listing.checkpoints.empty()) {
    const uint64_t cp = listing.checkpoints.back();
    const std::string cp_name = fmt::format("{}{:08d}", kCheckpointPrefix, cp);
    stats.checkpoint_index = static_cast<int64_t>(cp);
    PROMETHIUM_RETURN_IF_ERROR(ReadCheckpoint(env, wal_dir + "/" + cp_name, &dispatcher, &stats));
    std::erase_if(segments, [cp](uint64_t s) { return s <= cp; });
    first = cp + 1;
    PROMETHIUM_RETURN_IF_ERROR(CheckConsecutive(wal_dir, segments, first, "checkpoint " + cp_name));
  } else {
    PROMETHIUM_RETURN_IF_ERROR(CheckConsecutive(wal_dir, segments, std::nullopt, ""));
  }
  PROMETHIUM_RETURN_IF_ERROR(ReadLiveSegments(env, wal_dir, segments, "Prometheus WAL segment", &dispatcher, &stats));
  return stats;
}

Result<PrometheusWalReadStats> ReadPrometheusWbl(Env* env, const std::string& wbl_dir, PrometheusWalVisitor* visitor) {
  PrometheusWalReadStats stats;
  if (!env->IsDirectory(wbl_dir)) return stats;
  PROMETHIUM_ASSIGN_OR_RETURN(Listing listing, ListDir(env, wbl_dir));
  PROMETHIUM_RETURN_IF_ERROR(CheckConsecutive(wbl_dir, listing.segments, std::nullopt, ""));
  Dispatcher dispatcher(visitor, &stats);
  PROMETHIUM_RETURN_IF_ERROR(
      ReadLiveSegments(env, wbl_dir, listing.segments, "Prometheus WBL segment", &dispatcher, &stats));
  return stats;
}

}  // namespace promethium::tsdb::prometheus_format
