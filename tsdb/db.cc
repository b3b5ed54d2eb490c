#include "tsdb/db.h"

#include "tsdb/base/env.h"
#include "tsdb/base/logging.h"
#include "tsdb/head/head.h"

namespace promethium::tsdb {

DB::DB(std::string dir, DBOptions opts, std::unique_ptr<Head> head)
    : dir_(std::move(dir)), opts_(opts), head_(std::move(head)) {}

DB::~DB() = default;

Result<std::unique_ptr<DB>> DB::Open(const std::string& dir, const DBOptions& opts, MetricsRegistry* metrics) {
  if (opts.out_of_order_window_ms != 0) {
    return Status::Unsupported("out-of-order ingestion (out_of_order_window_ms must be 0)");
  }
  if (opts.chunk_range_ms <= 0) return Status::InvalidArgument("chunk_range_ms must be positive");
  if (opts.samples_per_chunk <= 0) return Status::InvalidArgument("samples_per_chunk must be positive");
  if (dir.empty()) return Status::InvalidArgument("tsdb: empty data directory");
  Env* env = opts.env != nullptr ? opts.env : Env::Default();
  Status st = env->CreateDirs(dir);
  if (!st.ok()) return st.WithContext("create data directory " + dir);

  HeadOptions head_opts;
  head_opts.cut.chunk_range_ms = opts.chunk_range_ms;
  head_opts.cut.samples_per_chunk = opts.samples_per_chunk;
  head_opts.max_label_count = opts.max_label_count;
  LogInfo("tsdb", "opened in-memory head in {} (no WAL or blocks yet: data is not persisted)", dir);
  return std::unique_ptr<DB>(new DB(dir, opts, std::make_unique<Head>(head_opts, metrics)));
}

std::unique_ptr<Appender> DB::NewAppender() { return head_->NewAppender(); }

Result<std::unique_ptr<Querier>> DB::NewQuerier(int64_t mint, int64_t maxt) { return head_->NewQuerier(mint, maxt); }

Status DB::Close() {
  head_->Close();
  return Status::OK();
}

DB::HeadStats DB::Stats() const {
  return HeadStats{head_->NumSeries(), head_->NumChunks(), head_->MinTime(), head_->MaxTime()};
}

PostingsStats DB::CardinalityStats(size_t limit) const { return head_->CardinalityStats(limit); }

}  // namespace promethium::tsdb
