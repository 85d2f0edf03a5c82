// LoadResult's rates: what a load run's tokens per second come to, with and without the
// requests a server failed.
#include <gtest/gtest.h>

#include "loadtest/load-driver.h"

using os1::loadtest::LoadResult;

TEST(LoadResult, FailedRequestsCountAsWholeRepliesOnlyWhenAsked) {
    LoadResult result;
    result.requests = 24;
    result.failures = 2;
    result.completion_tokens = 700;
    result.wall_s = 10.0;
    result.tokens_per_s = 70.0;
    // Two failed requests of at most 32 tokens each: 764 tokens in 10 s.
    EXPECT_DOUBLE_EQ(result.tokens_per_s_failures_whole(32), 76.4);

    result.failures = 0;
    EXPECT_DOUBLE_EQ(result.tokens_per_s_failures_whole(32), result.tokens_per_s);

    result.wall_s = 0;  // nothing ran
    EXPECT_EQ(result.tokens_per_s_failures_whole(32), 0);
}
