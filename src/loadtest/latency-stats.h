// Summaries of measured samples: percentiles of one run's latencies, and the spread of one
// figure over repeated runs. Pure functions; thread-safe.
#pragma once

#include <vector>

namespace os1::loadtest {

// The q-th quantile (q in [0, 1]) of `samples`, interpolated linearly between the two closest
// ranks (numpy's default), so that p50 of {1, 2} is 1.5. 0 for no samples; q outside [0, 1]
// is clamped.
double percentile(std::vector<double> samples, double q);

// One figure over repeated runs.
struct Spread {
    double median = 0;
    double min = 0;
    double max = 0;
    int runs = 0;
    // (max - min) / median: 0.05 means the runs lay within 5% of their median; 0 for fewer than
    // two runs or a median of 0.
    double relative() const;
};

Spread spread_of(const std::vector<double>& runs);

}  // namespace os1::loadtest
