// The statistics `os1 bench serve` reports: percentiles of one run's latencies and the spread
// of a figure over runs.
#include <gtest/gtest.h>

#include "loadtest/loadtest.h"

using namespace os1::loadtest;

TEST(Percentile, NoSamplesIsZero) {
    EXPECT_EQ(percentile({}, 0.5), 0);
    EXPECT_EQ(percentile({}, 0.95), 0);
}

TEST(Percentile, OneSampleIsEveryPercentile) {
    EXPECT_EQ(percentile({42}, 0.0), 42);
    EXPECT_EQ(percentile({42}, 0.5), 42);
    EXPECT_EQ(percentile({42}, 1.0), 42);
}

TEST(Percentile, InterpolatesBetweenTheClosestRanks) {
    EXPECT_DOUBLE_EQ(percentile({1, 2}, 0.5), 1.5);
    EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 0.5), 2.5);
    // numpy.percentile([1..20], 95) == 19.05
    std::vector<double> twenty;
    for (int i = 1; i <= 20; ++i)
        twenty.push_back(i);
    EXPECT_NEAR(percentile(twenty, 0.95), 19.05, 1e-9);
    EXPECT_DOUBLE_EQ(percentile(twenty, 0.0), 1);
    EXPECT_DOUBLE_EQ(percentile(twenty, 1.0), 20);
}

TEST(Percentile, OrderOfTheSamplesDoesNotMatter) {
    EXPECT_DOUBLE_EQ(percentile({9, 1, 5, 3, 7}, 0.5), 5);
    EXPECT_DOUBLE_EQ(percentile({9, 1, 5, 3, 7}, 0.75), 7);
    EXPECT_DOUBLE_EQ(percentile({9, 1, 5, 3, 7}, 0.95), 8.6);
}

TEST(Percentile, OneSlowOutlierShowsInP95NotInP50) {
    std::vector<double> samples(99, 10.0);
    samples.push_back(1000);
    EXPECT_DOUBLE_EQ(percentile(samples, 0.5), 10);
    EXPECT_DOUBLE_EQ(percentile(samples, 0.95), 10);
    EXPECT_GT(percentile(samples, 0.995), 10);
    EXPECT_DOUBLE_EQ(percentile(samples, 1.0), 1000);
}

TEST(Percentile, QuantilesOutsideTheRangeAreClamped) {
    EXPECT_DOUBLE_EQ(percentile({1, 2, 3}, -1), 1);
    EXPECT_DOUBLE_EQ(percentile({1, 2, 3}, 7), 3);
}

TEST(Spread, MedianMinimumAndMaximumOfTheRuns) {
    const Spread s = spread_of({10, 12, 11});
    EXPECT_EQ(s.runs, 3);
    EXPECT_DOUBLE_EQ(s.median, 11);
    EXPECT_DOUBLE_EQ(s.min, 10);
    EXPECT_DOUBLE_EQ(s.max, 12);
    EXPECT_NEAR(s.relative(), 2.0 / 11.0, 1e-12);
}

TEST(Spread, NoRunsAndOneRun) {
    const Spread none = spread_of({});
    EXPECT_EQ(none.runs, 0);
    EXPECT_EQ(none.median, 0);
    EXPECT_EQ(none.relative(), 0);
    const Spread one = spread_of({5});
    EXPECT_DOUBLE_EQ(one.median, 5);
    EXPECT_EQ(one.relative(), 0);
}

TEST(UserMessage, TheSameForEveryServerAndDifferentForEachUserAndTurn) {
    EXPECT_EQ(user_message(3, 1), user_message(3, 1));
    EXPECT_NE(user_message(3, 1), user_message(4, 1));
    EXPECT_NE(user_message(3, 1), user_message(3, 2));
    EXPECT_GT(user_message(0, 0).size(), 100u);
}
