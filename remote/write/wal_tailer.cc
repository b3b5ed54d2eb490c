#include "remote/write/wal_tailer.h"

#include <algorithm>
#include <utility>

#include "tsdb/base/logging.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/checkpoint_reader.h"
#include "tsdb/wal/segment.h"

namespace promethium::remote {

namespace wal = tsdb::wal;

WalTailer::WalTailer(Env* env, std::string wal_dir, bool send_exemplars,
                     std::chrono::milliseconds checkpoint_check_interval, WalPosition send_from, WalConsumer* consumer,
                     const WalTailerMetrics& metrics, const std::atomic<bool>* stopping)
    : env_(env),
      wal_dir_(std::move(wal_dir)),
      send_exemplars_(send_exemplars),
      checkpoint_check_interval_(checkpoint_check_interval),
      send_from_(send_from),
      consumer_(consumer),
      metrics_(metrics),
      stopping_(stopping) {}

WalPosition WalTailer::Position() const {
  MutexLock lock(&pos_mu_);
  return position_;
}

void WalTailer::MoveTo(uint64_t segment) {
  segment_ = segment;
  reader_.reset();
  if (metrics_.current_segment != nullptr) metrics_.current_segment->Set(static_cast<double>(segment));
  MutexLock lock(&pos_mu_);
  position_ = WalPosition{segment, 0};
}

Status WalTailer::Init() {
  PROMETHIUM_ASSIGN_OR_RETURN(std::optional<uint64_t> checkpoint, wal::LastCheckpoint(env_, wal_dir_));
  if (checkpoint) {
    PROMETHIUM_RETURN_IF_ERROR(ReadCheckpointSeries(*checkpoint));
    last_checkpoint_ = checkpoint;
  }
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, wal::ListSegments(env_, wal_dir_));
  uint64_t first = send_from_.segment;
  if (checkpoint) {
    first = *checkpoint + 1;
  } else if (!segments.empty()) {
    first = segments.front();
  }
  auto it = std::lower_bound(segments.begin(), segments.end(), first);
  if (it != segments.end() && *it > first) {
    LogWarn("remote", "WAL segments {}..{} are missing after checkpoint {}; their samples cannot be sent", first,
            *it - 1, checkpoint.value_or(0));
    if (metrics_.segments_lost != nullptr) metrics_.segments_lost->Inc(static_cast<double>(*it - first));
    first = *it;
  }
  MoveTo(first);
  next_checkpoint_check_ = std::chrono::steady_clock::now() + checkpoint_check_interval_;
  return Status::OK();
}

Status WalTailer::ReadCheckpointSeries(uint64_t index) {
  const std::string dir = wal_dir_ + "/" + wal::CheckpointName(index);
  return wal::ReadCheckpoint(
      env_, dir,
      [&](std::string_view rec) -> Status {
        auto type = wal::PeekRecordType(rec);
        if (!type.ok() || *type != wal::RecordType::kSeries) return Status::OK();
        PROMETHIUM_RETURN_IF_ERROR(wal::DecodeSeries(rec, &series_));
        consumer_->StoreSeries(series_, index);
        return Status::OK();
      },
      nullptr);
}

Status WalTailer::MaybeCollectSeries() {
  PROMETHIUM_ASSIGN_OR_RETURN(std::optional<uint64_t> checkpoint, wal::LastCheckpoint(env_, wal_dir_));
  if (!checkpoint || checkpoint == last_checkpoint_) return Status::OK();
  // At or above the segment being read, the checkpoint covers segments not
  // read yet: they are read as long as they exist (SkipMissingSegment).
  if (*checkpoint >= segment_) return Status::OK();
  PROMETHIUM_RETURN_IF_ERROR(ReadCheckpointSeries(*checkpoint));
  consumer_->SeriesReset(*checkpoint);
  last_checkpoint_ = checkpoint;
  return Status::OK();
}

Result<WalTailer::Next> WalTailer::SkipMissingSegment() {
  const bool current_was_read = reader_ != nullptr;  // read through its still-open descriptor
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, wal::ListSegments(env_, wal_dir_));
  PROMETHIUM_ASSIGN_OR_RETURN(std::optional<uint64_t> checkpoint, wal::LastCheckpoint(env_, wal_dir_));
  uint64_t floor = segment_ + 1;
  if (checkpoint) floor = std::max(floor, *checkpoint + 1);
  auto it = std::lower_bound(segments.begin(), segments.end(), floor);
  if (it == segments.end()) return Next::kWait;  // nothing after it yet
  if (checkpoint && *checkpoint >= segment_ && checkpoint != last_checkpoint_) {
    PROMETHIUM_RETURN_IF_ERROR(ReadCheckpointSeries(*checkpoint));
    consumer_->SeriesReset(*checkpoint);
    last_checkpoint_ = checkpoint;
  }
  const uint64_t first_unread = current_was_read ? segment_ + 1 : segment_;
  if (*it > first_unread) {
    LogWarn("remote",
            "WAL segments {}..{} were deleted before remote write read them (the queue lagged beyond the WAL "
            "retention bound); their samples are lost for this queue",
            first_unread, *it - 1);
    if (metrics_.segments_lost != nullptr) metrics_.segments_lost->Inc(static_cast<double>(*it - first_unread));
  }
  MoveTo(*it);
  return Next::kContinue;
}

Status WalTailer::Read(bool* progressed) {
  const uint64_t before = reader_->offset();
  Status st = reader_->ReadAvailable([this](const LiveRecord& rec) { return Dispatch(rec); });
  *progressed = reader_->offset() != before;
  MutexLock lock(&pos_mu_);
  position_ = WalPosition{segment_, reader_->offset()};
  return st;
}

Result<WalTailer::Next> WalTailer::FinishSegment() {
  bool progressed = false;
  Status st = Read(&progressed);
  if (st.code() == Status::Code::kCanceled) return Next::kStopped;
  PROMETHIUM_RETURN_IF_ERROR(st);
  if (reader_->pending_bytes() > 0 || !reader_->damage().empty()) {
    LogWarn("remote", "WAL segment {}: skipping its tail after offset {} ({}); a later segment exists", segment_,
            reader_->offset(), reader_->damage().empty() ? "an incomplete record" : reader_->damage());
  }
  MoveTo(segment_ + 1);
  return Next::kContinue;
}

Status WalTailer::CheckShrunk() {
  auto size = env_->GetFileSize(reader_->path());
  if (!size.ok()) return size.status().code() == Status::Code::kNotFound ? Status::OK() : size.status();
  const uint64_t read_to = reader_->offset() + reader_->pending_bytes();
  if (*size >= read_to) return Status::OK();
  // The writer rolled a failed batch back; it writes the next one at *size.
  LogWarn("remote", "WAL segment {} shrank from {} to {} bytes (a failed write was rolled back); reading on from {}",
          segment_, read_to, *size, std::min(*size, reader_->offset()));
  reader_->Rewind(std::min(*size, reader_->offset()));
  return Status::OK();
}

Result<WalTailer::Next> WalTailer::Step() {
  if (!initialized_) {
    PROMETHIUM_RETURN_IF_ERROR(Init());
    initialized_ = true;
  }
  bool check_files = false;
  if (std::chrono::steady_clock::now() >= next_checkpoint_check_) {
    next_checkpoint_check_ = std::chrono::steady_clock::now() + checkpoint_check_interval_;
    check_files = true;
    Status st = MaybeCollectSeries();
    if (!st.ok()) LogWarn("remote", "reading the new WAL checkpoint's series failed (will retry): {}", st.ToString());
  }
  const std::string path = wal::SegmentPath(wal_dir_, segment_);
  if (reader_ == nullptr) {
    if (!env_->FileExists(path)) return SkipMissingSegment();
    PROMETHIUM_ASSIGN_OR_RETURN(reader_, LiveSegmentReader::Open(env_, path));
  }
  bool progressed = false;
  Status st = Read(&progressed);
  if (st.code() == Status::Code::kCanceled) return Next::kStopped;
  PROMETHIUM_RETURN_IF_ERROR(st);
  // The writer creates the next segment only after finishing this one.
  if (env_->FileExists(wal::SegmentPath(wal_dir_, segment_ + 1))) return FinishSegment();
  if (progressed) return Next::kContinue;
  if (check_files && !env_->FileExists(path)) return SkipMissingSegment();
  PROMETHIUM_RETURN_IF_ERROR(CheckShrunk());
  return Next::kWait;
}

Status WalTailer::Dispatch(const LiveRecord& rec) {
  if (stopping_->load(std::memory_order_relaxed)) return Status::Canceled("WAL watcher stopping");
  auto type = rec.undecodable ? Result<wal::RecordType>(Status::Corruption("undecodable compressed record"))
                              : wal::PeekRecordType(rec.data);
  if (!type.ok()) {
    if (metrics_.unknown_records != nullptr) metrics_.unknown_records->Inc();
    if (metrics_.decode_failures != nullptr) metrics_.decode_failures->Inc();
    return Status::OK();
  }
  const WalPosition end{segment_, rec.end};
  Status st = Status::OK();
  switch (*type) {
    case wal::RecordType::kSeries:
      if (metrics_.series_records != nullptr) metrics_.series_records->Inc();
      st = wal::DecodeSeries(rec.data, &series_);
      if (st.ok()) consumer_->StoreSeries(series_, segment_);
      break;
    case wal::RecordType::kSamples:
      if (metrics_.samples_records != nullptr) metrics_.samples_records->Inc();
      st = DispatchSamples(rec.data, end);
      break;
    case wal::RecordType::kExemplars:
      if (metrics_.exemplars_records != nullptr) metrics_.exemplars_records->Inc();
      st = DispatchExemplars(rec.data, end);
      break;
    case wal::RecordType::kHistogramSamples:
      if (metrics_.histogram_records != nullptr) metrics_.histogram_records->Inc();
      st = DispatchHistograms(rec.data, end);
      break;
    case wal::RecordType::kFloatHistogramSamples:
      if (metrics_.float_histogram_records != nullptr) metrics_.float_histogram_records->Inc();
      st = DispatchFloatHistograms(rec.data, end);
      break;
    case wal::RecordType::kTombstones:  // deletions are not sent (as Prometheus)
      if (metrics_.tombstones_records != nullptr) metrics_.tombstones_records->Inc();
      break;
  }
  if (st.code() == Status::Code::kCorruption) {
    if (metrics_.decode_failures != nullptr) metrics_.decode_failures->Inc();
    if (st.message() != last_decode_error_) {
      LogWarn("remote", "WAL segment {} offset {}: skipping a record that does not decode: {}", segment_, rec.end,
              st.ToString());
      last_decode_error_ = st.message();
    }
    return Status::OK();
  }
  return st;
}

Status WalTailer::DispatchSamples(std::string_view data, WalPosition end) {
  if (!(send_from_ < end)) return Status::OK();
  PROMETHIUM_RETURN_IF_ERROR(wal::DecodeSamples(data, &samples_));
  if (!consumer_->Append(samples_, end)) return Status::Canceled("remote write queue stopping");
  return Status::OK();
}

Status WalTailer::DispatchExemplars(std::string_view data, WalPosition end) {
  if (!send_exemplars_ || !(send_from_ < end)) return Status::OK();
  PROMETHIUM_RETURN_IF_ERROR(wal::DecodeExemplars(data, &exemplars_));
  if (!consumer_->AppendExemplars(exemplars_, end)) return Status::Canceled("remote write queue stopping");
  return Status::OK();
}

Status WalTailer::DispatchHistograms(std::string_view data, WalPosition end) {
  if (!(send_from_ < end)) return Status::OK();
  PROMETHIUM_RETURN_IF_ERROR(wal::DecodeHistogramSamples(data, &histograms_));
  if (!consumer_->AppendHistograms(histograms_, end)) return Status::Canceled("remote write queue stopping");
  return Status::OK();
}

Status WalTailer::DispatchFloatHistograms(std::string_view data, WalPosition end) {
  if (!(send_from_ < end)) return Status::OK();
  PROMETHIUM_RETURN_IF_ERROR(wal::DecodeFloatHistogramSamples(data, &float_histograms_));
  if (!consumer_->AppendFloatHistograms(float_histograms_, end)) return Status::Canceled("remote write queue stopping");
  return Status::OK();
}

}  // namespace promethium::remote
