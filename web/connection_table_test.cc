// ConnectionTable: the limit holds, the longest-idle connection gives up its
// slot to a new one, busy connections are never evicted.
#include "web/connection_table.h"

#include <gtest/gtest.h>

#include <vector>

namespace promethium::web {
namespace {

TEST(ConnectionTableTest, AdmitsUpToTheLimitThenEvictsTheLongestIdle) {
  ConnectionTable table(3);
  std::vector<int> closed;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    ConnectionTable::Admission a = table.Admit([&closed, i] { closed.push_back(i); });
    ASSERT_TRUE(a.admitted);
    EXPECT_FALSE(a.evicted);
    ids.push_back(a.id);
  }
  table.SetIdle(ids[0], false);  // 0 is busy; 1 has been idle longer than 2
  ConnectionTable::Admission fourth = table.Admit([] {});
  ASSERT_TRUE(fourth.admitted);
  ASSERT_TRUE(fourth.evicted);
  fourth.evicted();
  EXPECT_EQ(closed, std::vector<int>{1});
  EXPECT_EQ(table.size(), 3u);
  EXPECT_FALSE(table.Remove(ids[1]));  // already gone: its slot was taken
  EXPECT_TRUE(table.Remove(ids[2]));
  EXPECT_EQ(table.size(), 2u);
}

TEST(ConnectionTableTest, RefusesWhenEveryConnectionIsBusy) {
  ConnectionTable table(2);
  for (int i = 0; i < 2; ++i) {
    ConnectionTable::Admission a = table.Admit([] {});
    ASSERT_TRUE(a.admitted);
    table.SetIdle(a.id, false);
  }
  EXPECT_EQ(table.idle(), 0u);
  ConnectionTable::Admission refused = table.Admit([] {});
  EXPECT_FALSE(refused.admitted);
  EXPECT_FALSE(refused.evicted);
  EXPECT_EQ(table.size(), 2u);
}

TEST(ConnectionTableTest, IdleOrderFollowsTheLastTimeAConnectionWentIdle) {
  ConnectionTable table(2);
  int closed = -1;
  ConnectionTable::Admission a = table.Admit([&closed] { closed = 0; });
  ConnectionTable::Admission b = table.Admit([&closed] { closed = 1; });
  table.SetIdle(a.id, false);  // a serves a request...
  table.SetIdle(a.id, true);   // ...and goes idle again after b did
  table.SetIdle(a.id, true);   // marking idle twice keeps its place
  ConnectionTable::Admission c = table.Admit([] {});
  ASSERT_TRUE(c.admitted && c.evicted);
  c.evicted();
  EXPECT_EQ(closed, 1);
  EXPECT_EQ(table.idle(), 2u);  // a and the new c
  table.SetIdle(b.id, false);   // the evicted id is ignored
  EXPECT_EQ(table.idle(), 2u);
}

}  // namespace
}  // namespace promethium::web
