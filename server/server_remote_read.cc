// Server: the remote_read section applied to the fanout storage, and the
// local start time its read_recent rule needs (see server.h).
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "remote/read/remote_querier.h"
#include "server/fanout_queryable.h"
#include "server/server.h"
#include "tsdb/base/logging.h"
#include "tsdb/db.h"

namespace promethium::server {
namespace {

// Test-only: "samples" makes every remote_read client accept only SAMPLES
// answers, so the end-to-end test can exercise that path against a real
// Prometheus (which honours STREAMED_XOR_CHUNKS when it is offered).
constexpr const char* kTestResponseTypeEnv = "PROMETHIUM_TEST_REMOTE_READ_RESPONSE_TYPE";

}  // namespace

Status Server::ApplyRemoteRead(const Config& cfg) {
  if (!fanout_) {
    if (cfg.remote_read.empty()) return Status::OK();
    return Status::InvalidArgument("field remote_read is not allowed in agent mode");
  }
  std::vector<std::shared_ptr<Queryable>> remotes;
  remotes.reserve(cfg.remote_read.size());
  for (size_t i = 0; i < cfg.remote_read.size(); ++i) {
    const remote::RemoteReadConfig& rr = cfg.remote_read[i];
    remote::ReadClientOptions options;
    options.metrics = &registry_;
    options.remote_name = rr.name.empty() ? fmt::format("{:06x}", Labels{{"url", rr.url}}.Hash() & 0xffffff) : rr.name;
    if (const char* only = std::getenv(kTestResponseTypeEnv); only != nullptr && std::string_view(only) == "samples") {
      options.accepted_response_types = {remote::ResponseType::kSamples};
    }
    Result<std::shared_ptr<Queryable>> q = remote::NewRemoteQueryable(
        rr, cfg.global.external_labels, [this] { return LocalStartTime(); }, std::move(options));
    if (!q.ok()) {
      return q.status().WithContext(
          fmt::format("remote_read {}", rr.name.empty() ? std::to_string(i) : QuoteLabelValue(rr.name)));
    }
    remotes.push_back(std::move(q).value());
  }
  if (!remotes.empty()) LogInfo("remote", "Remote read configured: endpoints={}", remotes.size());
  fanout_->SetRemotes(std::move(remotes));
  return Status::OK();
}

// Prometheus's readyStorage.StartTime: the oldest block's min time, or now
// without blocks, plus twice the minimum block duration as a safety margin.
Result<int64_t> Server::LocalStartTime() const {
  if (!db_) return Status::FailedPrecondition("TSDB not ready");
  int64_t start = 0;
  std::vector<tsdb::DB::BlockInfo> blocks = db_->Blocks();
  if (blocks.empty()) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    start = std::chrono::duration_cast<std::chrono::seconds>(now).count() * 1000;
  } else {
    start = blocks.front().min_time;
    for (const tsdb::DB::BlockInfo& b : blocks) start = std::min(start, b.min_time);
  }
  return start + 2 * flags_.storage_tsdb_min_block_duration_ms;
}

}  // namespace promethium::server
