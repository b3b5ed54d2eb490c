// WriteStorage over a real WAL (tsdb::wal::Wal), its watchers and queues,
// against fake receivers: delivery end to end, and reloads that keep
// unchanged queues and restart changed ones without resending what was
// acknowledged.
#include "remote/write/write_storage.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "remote/proto/remote.pb.h"
#include "remote/write/test_receiver.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/test_dir_for_test.h"
#include "tsdb/wal/wal.h"

namespace promethium::remote {
namespace {

namespace wal = tsdb::wal;

// Timestamps of every sample the receiver got, in arrival order.
std::vector<int64_t> ReceivedTimestamps(const TestReceiver& rx) {
  std::vector<int64_t> out;
  for (const TestRequest& r : rx.requests()) {
    prometheus::WriteRequest req;
    EXPECT_TRUE(req.ParseFromString(r.body));
    for (const auto& ts : req.timeseries()) {
      for (const auto& s : ts.samples()) out.push_back(s.timestamp());
    }
  }
  return out;
}

class WriteStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wal::TestDirForTest("rwq_storage_");
    std::filesystem::remove_all(dir_);
    auto w = wal::Wal::Open(Env::Default(), dir_ + "/wal", wal::WalOptions{}, nullptr, 0);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    wal_ = std::move(w).value();
    std::string series;
    std::vector<wal::RefSeries> rs = {{1, Labels{{"__name__", "up"}, {"job", "a"}}}};
    wal::EncodeSeries(rs, &series);
    std::string_view rec = series;
    ASSERT_TRUE(wal_->Log({&rec, 1}).ok());
  }
  void TearDown() override {
    storage_.reset();
    if (wal_) {
      EXPECT_TRUE(wal_->Close().ok());
    }
    std::filesystem::remove_all(dir_);
  }
  void LogSample(int64_t t) {
    std::string samples;
    std::vector<wal::RefSample> s = {{1, t, static_cast<double>(t)}};
    wal::EncodeSamples(s, &samples);
    std::string_view rec = samples;
    ASSERT_TRUE(wal_->Log({&rec, 1}).ok());
  }
  void MakeStorage() {
    WriteStorage::Options o;
    o.env = Env::Default();
    o.wal_dir = dir_ + "/wal";
    o.position_dir = dir_ + "/remote_write";
    o.metrics = &registry_;
    o.flush_deadline_ms = 2'000;
    storage_ = std::make_unique<WriteStorage>(std::move(o));
  }
  static RemoteWriteConfig Config(const std::string& name, const std::string& url) {
    RemoteWriteConfig c;
    c.name = name;
    c.url = url;
    c.queue_config.batch_send_deadline_ms = 20;
    c.queue_config.min_backoff_ms = 5;
    c.queue_config.max_backoff_ms = 20;
    c.metadata_config.send = false;
    return c;
  }

  std::string dir_;
  std::unique_ptr<wal::Wal> wal_;
  MetricsRegistry registry_;
  std::unique_ptr<WriteStorage> storage_;
};

TEST_F(WriteStorageTest, SendsTheWalAndReloadsKeepUnchangedQueues) {
  TestReceiver rx_a, rx_b;
  LogSample(1000);
  MakeStorage();
  const RemoteWriteConfig a = Config("a", rx_a.url());
  RemoteWriteConfig b = Config("b", rx_b.url());
  ASSERT_TRUE(storage_->ApplyConfig({a, b}, Labels{}).ok());
  EXPECT_EQ(storage_->QueueNames(), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(WaitFor([&] { return ReceivedTimestamps(rx_a).size() == 1 && ReceivedTimestamps(rx_b).size() == 1; }));
  const std::vector<const QueueManager*> before = storage_->Queues();

  // b changes (its batch deadline), a does not.
  b.queue_config.batch_send_deadline_ms = 30;
  ASSERT_TRUE(storage_->ApplyConfig({a, b}, Labels{}).ok());
  const std::vector<const QueueManager*> after = storage_->Queues();
  EXPECT_EQ(after[0], before[0]);
  EXPECT_NE(after[1], before[1]);

  LogSample(2000);
  LogSample(3000);
  ASSERT_TRUE(WaitFor([&] { return ReceivedTimestamps(rx_a).size() == 3 && ReceivedTimestamps(rx_b).size() == 3; }));
  EXPECT_EQ(ReceivedTimestamps(rx_a), (std::vector<int64_t>{1000, 2000, 3000}));
  // The restarted queue resumed after what its predecessor acknowledged.
  EXPECT_EQ(ReceivedTimestamps(rx_b), (std::vector<int64_t>{1000, 2000, 3000}));

  // External labels changed: every queue restarts.
  ASSERT_TRUE(storage_->ApplyConfig({a, b}, Labels{{"cluster", "x"}}).ok());
  EXPECT_NE(storage_->Queues()[0], after[0]);
  // A removed queue stops.
  ASSERT_TRUE(storage_->ApplyConfig({a}, Labels{{"cluster", "x"}}).ok());
  EXPECT_EQ(storage_->QueueNames(), (std::vector<std::string>{"a"}));
  storage_->Close();
  EXPECT_TRUE(storage_->QueueNames().empty());
}

TEST_F(WriteStorageTest, BadEntryChangesNothing) {
  TestReceiver rx;
  MakeStorage();
  ASSERT_TRUE(storage_->ApplyConfig({Config("a", rx.url())}, Labels{}).ok());
  const auto before = storage_->Queues();
  Status s = storage_->ApplyConfig({Config("a", rx.url()), Config("bad", "ftp://x/")}, Labels{});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(storage_->Queues(), before);
}

}  // namespace
}  // namespace promethium::remote
