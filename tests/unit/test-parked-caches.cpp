// ParkedCaches: conversations' caches kept in host memory, least recently parked out first,
// within a byte budget.
#include <gtest/gtest.h>

#include "llm/parked-caches.h"

using namespace os1::llm;

namespace {

// A cache whose size is exactly `bytes`, its tokens spelling `text`.
ParkedCache cache_of(size_t bytes, const std::string& text = "hi") {
    ParkedCache cache;
    cache.snapshot.tokens = {1, 2};
    cache.snapshot.text_ends = {1, 2};
    cache.snapshot.text = text;
    cache.owner = "ada";
    const size_t fixed = cache.bytes();
    cache.snapshot.state.assign(bytes - fixed, 7);
    return cache;
}

}  // namespace

TEST(ParkedCaches, TakeGivesTheCacheBackOnce) {
    ParkedCaches parked(1000);
    parked.park("ada/1", cache_of(100, "hello"));
    EXPECT_TRUE(parked.holds("ada/1"));
    EXPECT_EQ(parked.bytes(), 100u);
    std::optional<ParkedCache> back = parked.take("ada/1");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->snapshot.text, "hello");
    EXPECT_EQ(back->owner, "ada");
    EXPECT_EQ(back->bytes(), 100u);
    EXPECT_FALSE(parked.take("ada/1"));
    EXPECT_EQ(parked.bytes(), 0u);
    EXPECT_FALSE(parked.take("bob/1"));
}

TEST(ParkedCaches, TheLeastRecentlyParkedLeaveFirstToKeepTheBudget) {
    ParkedCaches parked(300);
    parked.park("a", cache_of(100));
    parked.park("b", cache_of(100));
    parked.park("c", cache_of(100));
    EXPECT_EQ(parked.bytes(), 300u);
    parked.park("d", cache_of(150));  // a and b must go
    EXPECT_FALSE(parked.holds("a"));
    EXPECT_FALSE(parked.holds("b"));
    EXPECT_TRUE(parked.holds("c"));
    EXPECT_TRUE(parked.holds("d"));
    EXPECT_EQ(parked.bytes(), 250u);
    EXPECT_EQ(parked.size(), 2u);
}

TEST(ParkedCaches, ParkingAgainReplacesAndRenews) {
    ParkedCaches parked(300);
    parked.park("a", cache_of(100, "old"));
    parked.park("b", cache_of(100));
    parked.park("a", cache_of(120, "new"));  // now the most recent
    EXPECT_EQ(parked.bytes(), 220u);
    parked.park("c", cache_of(150));  // b goes, not a
    EXPECT_FALSE(parked.holds("b"));
    ASSERT_TRUE(parked.holds("a"));
    EXPECT_EQ(parked.take("a")->snapshot.text, "new");
}

TEST(ParkedCaches, ACacheLargerThanTheBudgetIsNotKeptAndEvictsNothing) {
    ParkedCaches parked(300);
    parked.park("a", cache_of(100));
    parked.park("huge", cache_of(301));
    EXPECT_FALSE(parked.holds("huge"));
    EXPECT_TRUE(parked.holds("a"));
    ParkedCaches none(0);  // parking turned off
    none.park("a", cache_of(100));
    EXPECT_EQ(none.size(), 0u);
}

TEST(ParkedCaches, ForgettingDropsTheTextForGood) {
    ParkedCaches parked(1000);
    parked.park("ada/1", cache_of(100, "my secret"));
    parked.park("ada/2", cache_of(100));
    parked.forget("ada/1");
    EXPECT_FALSE(parked.holds("ada/1"));
    EXPECT_FALSE(parked.take("ada/1"));
    EXPECT_EQ(parked.bytes(), 100u);
    parked.forget("nobody");  // harmless
    EXPECT_EQ(parked.size(), 1u);
}
