// SurveyDataDir and the file probes: a real Prometheus 2.42 directory, one
// of ours, and files in neither format.
#include "tsdb/datadir/data_dir_survey.h"

#include <gtest/gtest.h>

#include "tsdb/datadir/datadir_test_util.h"
#include "tsdb/datadir/file_probe.h"
#include "tsdb/wal/segment.h"

namespace promethium::tsdb {
namespace {

using datadir_test::Fingerprint;
using datadir_test::PrometheusFixture;
using datadir_test::ScratchDir;
using datadir_test::WriteAll;
using datadir_test::WriteOwnData;
namespace fs = std::filesystem;

TEST(DataDirSurveyTest, RecognisesEveryArtefactOfARealPrometheusDirectory) {
  const auto before = Fingerprint(PrometheusFixture());
  auto survey = SurveyDataDir(Env::Default(), PrometheusFixture());
  ASSERT_TRUE(survey.ok()) << survey.status().ToString();
  EXPECT_TRUE(survey->foreign.empty()) << survey->foreign.front().path << ": " << survey->foreign.front().detail;
  EXPECT_EQ(survey->prometheus_blocks.size(), 6u);
  EXPECT_TRUE(survey->promethium_blocks.empty());
  EXPECT_EQ(survey->wal, FileOwner::kPrometheus);
  std::string artifacts;
  for (const auto& a : survey->prometheus_artifacts) artifacts += a.path + "\n";
  EXPECT_NE(artifacts.find("/wbl"), std::string::npos) << artifacts;
  EXPECT_NE(artifacts.find("/chunks_head"), std::string::npos) << artifacts;
  EXPECT_NE(artifacts.find("/chunk_snapshot."), std::string::npos) << artifacts;
  EXPECT_TRUE(survey->HasPrometheusHead());
  EXPECT_FALSE(survey->promethium_head_chunks);
  EXPECT_EQ(Fingerprint(PrometheusFixture()), before);  // probing reads only
}

TEST(DataDirSurveyTest, RecognisesOurOwnDirectory) {
  ScratchDir dir;
  WriteOwnData(dir.path(), 50);
  auto survey = SurveyDataDir(Env::Default(), dir.path());
  ASSERT_TRUE(survey.ok()) << survey.status().ToString();
  EXPECT_TRUE(survey->foreign.empty());
  EXPECT_EQ(survey->wal, FileOwner::kPromethium);
  EXPECT_FALSE(survey->HasPrometheusData());
}

TEST(DataDirSurveyTest, ProbesTellTheFormatsApart) {
  ScratchDir dir;
  fs::create_directories(dir.path());
  Env* env = Env::Default();
  const std::string seg = dir.path() + "/seg";
  // Ours, with the header.
  std::string ours = wal::SegmentHeader();
  wal::AppendFrame("payload", &ours);
  WriteAll(seg, ours);
  EXPECT_EQ(ProbeWalSegment(env, seg)->owner, FileOwner::kPromethium);
  // Ours from before headers existed: a bare verifying frame.
  std::string legacy;
  wal::AppendFrame("payload", &legacy);
  WriteAll(seg, legacy);
  EXPECT_EQ(ProbeWalSegment(env, seg)->owner, FileOwner::kPromethium);
  // A torn header of ours holds nothing.
  WriteAll(seg, ours.substr(0, 3));
  EXPECT_EQ(ProbeWalSegment(env, seg)->owner, FileOwner::kEmpty);
  // Prometheus's, from the fixture.
  EXPECT_EQ(ProbeWalSegment(env, PrometheusFixture() + "/wal/00000004")->owner, FileOwner::kPrometheus);
  // A legacy frame whose checksum fails proves nothing.
  legacy[legacy.size() - 1] ^= 1;
  WriteAll(seg, legacy);
  auto unknown = ProbeWalSegment(env, seg);
  EXPECT_EQ(unknown->owner, FileOwner::kUnknown);
  EXPECT_NE(unknown->detail.find("found bytes 0x"), std::string::npos) << unknown->detail;
  WriteAll(seg, std::string(100, 'x'));
  EXPECT_EQ(ProbeWalSegment(env, seg)->owner, FileOwner::kUnknown);
  EXPECT_FALSE(LooksLikePrometheusWalSegment(ours));

  EXPECT_EQ(ProbeHeadChunkFile(env, PrometheusFixture() + "/chunks_head/000005")->owner, FileOwner::kPrometheus);
  WriteAll(seg, "PHCK\x01\0\0\0");
  EXPECT_EQ(ProbeHeadChunkFile(env, seg)->owner, FileOwner::kPromethium);
  WriteAll(seg, "junkjunk");
  EXPECT_EQ(ProbeHeadChunkFile(env, seg)->owner, FileOwner::kUnknown);
}

TEST(DataDirSurveyTest, ForeignFilesAreListedWithWhatWasFound) {
  ScratchDir dir;
  WriteOwnData(dir.path(), 10);
  // A ULID directory whose index is neither format, a segment of unknown
  // bytes after ours, and a foreign head chunk file.
  fs::create_directories(dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZZ");
  WriteAll(dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZZ/index", "not an index at all");
  WriteAll(dir.path() + "/wal/00000099", std::string(64, '\x7f'));
  WriteAll(dir.path() + "/chunks_head/000077", "garbage!");
  auto survey = SurveyDataDir(Env::Default(), dir.path());
  ASSERT_TRUE(survey.ok());
  ASSERT_EQ(survey->foreign.size(), 3u);
  const Status st = FailedPreconditionFor(dir.path(), *survey);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  for (const char* name : {"01HZZZZZZZZZZZZZZZZZZZZZZZ/index", "wal/00000099", "chunks_head/000077"}) {
    EXPECT_NE(st.message().find(name), std::string::npos) << name << " in " << st.message();
  }
  EXPECT_NE(st.message().find("Nothing was modified"), std::string::npos);
}

TEST(DataDirSurveyTest, MixedWalIsForeign) {
  ScratchDir dir;
  WriteOwnData(dir.path(), 10);
  fs::copy_file(PrometheusFixture() + "/wal/00000005", dir.path() + "/wal/00000042");
  auto survey = SurveyDataDir(Env::Default(), dir.path());
  ASSERT_TRUE(survey.ok());
  ASSERT_EQ(survey->foreign.size(), 1u);
  EXPECT_NE(survey->foreign[0].detail.find("both Promethium and Prometheus"), std::string::npos);
}

TEST(DataDirSurveyTest, TemporaryBlockDirectories) {
  ScratchDir dir;
  fs::create_directories(dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZA.tmp-for-creation/chunks");  // no data yet
  fs::create_directories(dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZB.tmp-for-deletion");
  fs::copy(PrometheusFixture() + "/01M9721WQH7B0BTYRRED1ZKKR1",
           dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZB.tmp-for-deletion", fs::copy_options::recursive);
  fs::create_directories(dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZC.tmp-for-creation");
  WriteAll(dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZC.tmp-for-creation/mystery", "a user's file");
  // A write of ours cut short: chunks written, index torn inside its magic,
  // meta.json still at its tmp stage.
  const std::string torn = dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZD.tmp-for-creation";
  fs::create_directories(torn + "/chunks");
  WriteAll(torn + "/chunks/000001", std::string("PBC1\x01\0\0\0", 8) + "group bytes");
  WriteAll(torn + "/index", "PI");
  WriteAll(torn + "/meta.json.tmp", "{\"ulid\"");
  // The same, but with an index that is neither format's.
  const std::string odd = dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZE.tmp-for-creation";
  fs::create_directories(odd + "/chunks");
  WriteAll(odd + "/index", "XXXX and more");
  auto survey = SurveyDataDir(Env::Default(), dir.path());
  ASSERT_TRUE(survey.ok());
  EXPECT_EQ(survey->removable_tmp_dirs, (std::vector<std::string>{"01HZZZZZZZZZZZZZZZZZZZZZZA.tmp-for-creation",
                                                                  "01HZZZZZZZZZZZZZZZZZZZZZZB.tmp-for-deletion",
                                                                  "01HZZZZZZZZZZZZZZZZZZZZZZD.tmp-for-creation"}));
  ASSERT_EQ(survey->foreign_tmp_dirs.size(), 2u);
  EXPECT_NE(survey->foreign_tmp_dirs[0].path.find("ZZC.tmp-for-creation"), std::string::npos);
  EXPECT_NE(survey->foreign_tmp_dirs[1].path.find("ZZE.tmp-for-creation"), std::string::npos);
  EXPECT_TRUE(survey->foreign.empty());
}

}  // namespace
}  // namespace promethium::tsdb
