#include "scrape/metadata_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace promethium::scrape {
namespace {

struct Line {
  char kind;  // 'h' help, 't' type, 'u' unit
  std::string family;
  std::string value;
};

void Scrape(MetadataStore* store, const std::vector<Line>& lines, bool success = true) {
  for (const Line& l : lines) {
    if (l.kind == 'h') store->SetHelp(l.family, l.value);
    if (l.kind == 't') store->SetType(l.family, l.value);
    if (l.kind == 'u') store->SetUnit(l.family, l.value);
  }
  store->Commit(success);
}

std::vector<std::string> Names(const MetadataStore& store) {
  std::vector<std::string> out;
  for (const MetricMetadata& m : store.Snapshot()) out.push_back(m.metric);
  return out;
}

TEST(MetadataStoreTest, KeepsHelpTypeAndUnitByFamily) {
  MetadataStore store;
  Scrape(&store,
         {{'h', "b_total", "B things."}, {'t', "b_total", "counter"}, {'t', "a", "gauge"}, {'u', "a", "bytes"}});
  std::vector<MetricMetadata> got = store.Snapshot();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (MetricMetadata{"a", "gauge", "", "bytes"}));
  EXPECT_EQ(got[1], (MetricMetadata{"b_total", "counter", "B things.", ""}));
}

TEST(MetadataStoreTest, SuccessfulScrapeForgetsFamiliesItDidNotMention) {
  MetadataStore store;
  Scrape(&store, {{'t', "a", "gauge"}, {'t', "b", "gauge"}, {'t', "c", "gauge"}});
  Scrape(&store, {{'t', "a", "gauge"}, {'t', "c", "gauge"}});
  EXPECT_EQ(Names(store), (std::vector<std::string>{"a", "c"}));
  // The scrape after a removal walks the shorter order again.
  Scrape(&store, {{'t', "a", "counter"}, {'t', "c", "gauge"}, {'t', "d", "gauge"}});
  EXPECT_EQ(Names(store), (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(store.Snapshot()[0].type, "counter");
}

TEST(MetadataStoreTest, FailedScrapeKeepsEverything) {
  MetadataStore store;
  Scrape(&store, {{'t', "a", "gauge"}, {'t', "b", "gauge"}});
  Scrape(&store, {{'t', "a", "gauge"}}, /*success=*/false);
  EXPECT_EQ(Names(store), (std::vector<std::string>{"a", "b"}));
  Scrape(&store, {{'t', "b", "gauge"}});
  EXPECT_EQ(Names(store), (std::vector<std::string>{"b"}));
}

TEST(MetadataStoreTest, ReorderedAndInterleavedFamiliesUpdateTheRightEntry) {
  MetadataStore store;
  Scrape(&store, {{'h', "a", "A."}, {'t', "a", "gauge"}, {'h', "b", "B."}, {'t', "b", "counter"}});
  // Reversed order, and HELP/TYPE of one family split by another's.
  Scrape(&store, {{'h', "b", "B2."}, {'h', "a", "A2."}, {'t', "b", "histogram"}, {'t', "a", "summary"}});
  std::vector<MetricMetadata> got = store.Snapshot();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (MetricMetadata{"a", "summary", "A2.", ""}));
  EXPECT_EQ(got[1], (MetricMetadata{"b", "histogram", "B2.", ""}));
  // Same order as last time: values change in place.
  Scrape(&store, {{'h', "b", "B3."}, {'h', "a", "A3."}, {'t', "b", "gauge"}, {'t', "a", "gauge"}});
  got = store.Snapshot();
  EXPECT_EQ(got[0].help, "A3.");
  EXPECT_EQ(got[1].help, "B3.");
  EXPECT_EQ(got[1].type, "gauge");
}

TEST(MetadataStoreTest, FamilyMentionedTwiceApartIsOneEntry) {
  MetadataStore store;
  for (int i = 0; i < 3; ++i) {
    Scrape(&store, {{'t', "a", "gauge"}, {'t', "b", "gauge"}, {'h', "a", "again"}});
  }
  std::vector<MetricMetadata> got = store.Snapshot();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (MetricMetadata{"a", "gauge", "again", ""}));
}

TEST(StringInternerTest, EqualStringsShareOneCopyWhileHeld) {
  StringInterner pool;
  StringInterner::Handle a = pool.Intern("Seconds the CPUs spent in each mode.");
  StringInterner::Handle b = pool.Intern(std::string("Seconds the CPUs spent in each mode."));
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(pool.Intern("other").get(), a.get());
  a.reset();
  b.reset();
  // Expired: a new copy, equal in value.
  EXPECT_EQ(*pool.Intern("Seconds the CPUs spent in each mode."), "Seconds the CPUs spent in each mode.");
}

TEST(StringInternerTest, StringsNoLongerHeldAreSweptAway) {
  StringInterner pool;
  for (int i = 0; i < 10000; ++i) pool.Intern("transient-" + std::to_string(i));  // handles dropped at once
  StringInterner::Handle kept = pool.Intern("kept");
  EXPECT_LT(pool.size(), 3000u);
  EXPECT_EQ(pool.Intern("kept").get(), kept.get());
}

}  // namespace
}  // namespace promethium::scrape
