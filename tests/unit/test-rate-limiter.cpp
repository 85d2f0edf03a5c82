// Token-bucket rate limiting on a hand-moved clock: bursts, refill, Retry-After, and the bound on
// how many keys are held.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "accounts/rate-limiter.h"

using namespace os1;
using namespace os1::accounts;
using namespace std::chrono_literals;

namespace {

struct ManualClock {
    std::shared_ptr<std::atomic<int64_t>> ms = std::make_shared<std::atomic<int64_t>>(1'780'000'000'000);

    Clock clock() const {
        return [m = ms] { return Timestamp{std::chrono::milliseconds(m->load())}; };
    }
    void advance(std::chrono::milliseconds by) { *ms += by.count(); }
};

}  // namespace

TEST(RateLimiter, AllowsABurstThenRefuses) {
    ManualClock clock;
    RateLimiter limiter(clock.clock(), 1.0, 5.0);
    for (int i = 0; i < 5; ++i)
        EXPECT_TRUE(limiter.take("sam").allowed) << i;
    RateLimiter::Decision refused = limiter.take("sam");
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after, 1s);
    // Each key has its own bucket.
    EXPECT_TRUE(limiter.take("ana").allowed);
}

TEST(RateLimiter, RefillsWithTheClockUpToTheBurst) {
    ManualClock clock;
    RateLimiter limiter(clock.clock(), 2.0, 4.0);
    for (int i = 0; i < 4; ++i)
        EXPECT_TRUE(limiter.take("10.0.0.1").allowed);
    EXPECT_FALSE(limiter.take("10.0.0.1").allowed);

    clock.advance(500ms);  // one token back
    EXPECT_TRUE(limiter.take("10.0.0.1").allowed);
    EXPECT_FALSE(limiter.take("10.0.0.1").allowed);

    clock.advance(1h);  // never more than the burst
    for (int i = 0; i < 4; ++i)
        EXPECT_TRUE(limiter.take("10.0.0.1").allowed) << i;
    EXPECT_FALSE(limiter.take("10.0.0.1").allowed);
}

TEST(RateLimiter, RetryAfterIsEnoughAndARefusalSpendsNothing) {
    ManualClock clock;
    RateLimiter limiter(clock.clock(), 0.1, 3.0);  // one every ten seconds
    EXPECT_TRUE(limiter.take("sam", 3.0).allowed);
    RateLimiter::Decision refused = limiter.take("sam", 2.0);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after, 20s);

    clock.advance(19s);
    EXPECT_FALSE(limiter.take("sam", 2.0).allowed);
    clock.advance(1s);
    EXPECT_TRUE(limiter.take("sam", 2.0).allowed);

    // A cost above the burst never passes; the wait named is until the bucket is full.
    clock.advance(1h);
    RateLimiter::Decision too_big = limiter.take("sam", 10.0);
    EXPECT_FALSE(too_big.allowed);
    EXPECT_EQ(too_big.retry_after, 1s);
    EXPECT_TRUE(limiter.take("sam", 3.0).allowed) << "the refused take spent nothing";
}

TEST(RateLimiter, AClockThatStepsBackEarnsNothing) {
    ManualClock clock;
    RateLimiter limiter(clock.clock(), 1.0, 1.0);
    EXPECT_TRUE(limiter.take("sam").allowed);
    clock.advance(-1h);
    EXPECT_FALSE(limiter.take("sam").allowed);
    clock.advance(1h);
    EXPECT_FALSE(limiter.take("sam").allowed);
    clock.advance(1s);
    EXPECT_TRUE(limiter.take("sam").allowed);
}

TEST(RateLimiter, HoldsAtMostMaxKeysEvictingTheLeastRecentlyUsed) {
    ManualClock clock;
    RateLimiter limiter(clock.clock(), 1.0, 1.0, 3);
    EXPECT_TRUE(limiter.take("a").allowed);
    EXPECT_TRUE(limiter.take("b").allowed);
    EXPECT_TRUE(limiter.take("c").allowed);
    EXPECT_FALSE(limiter.take("a").allowed);  // a is now the most recently used
    EXPECT_EQ(limiter.size(), 3u);

    EXPECT_TRUE(limiter.take("d").allowed);  // evicts b, the least recently used
    EXPECT_EQ(limiter.size(), 3u);
    EXPECT_FALSE(limiter.take("a").allowed) << "a was kept";
    EXPECT_FALSE(limiter.take("c").allowed) << "c was kept";
    EXPECT_TRUE(limiter.take("b").allowed) << "b was evicted and starts with a full bucket";

    for (int i = 0; i < 1000; ++i)
        limiter.take("flood-" + std::to_string(i));
    EXPECT_EQ(limiter.size(), 3u);
}

TEST(RateLimiter, ManyThreadsNeverGetMoreThanTheBurst) {
    ManualClock clock;
    RateLimiter limiter(clock.clock(), 1.0, 100.0, 8);
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 100; ++i) {
                if (limiter.take("shared").allowed)
                    ++allowed;
            }
        });
    }
    for (std::thread& thread : threads)
        thread.join();
    EXPECT_EQ(allowed.load(), 100);
}
