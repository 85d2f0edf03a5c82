#include "loadtest/latency-stats.h"

#include <algorithm>
#include <cmath>

namespace os1::loadtest {

double percentile(std::vector<double> samples, double q) {
    if (samples.empty())
        return 0;
    std::sort(samples.begin(), samples.end());
    const double rank = std::clamp(q, 0.0, 1.0) * double(samples.size() - 1);
    const size_t below = size_t(std::floor(rank));
    const size_t above = std::min(below + 1, samples.size() - 1);
    const double weight = rank - double(below);
    return samples[below] + (samples[above] - samples[below]) * weight;
}

double Spread::relative() const {
    if (runs < 2 || median == 0)
        return 0;
    return (max - min) / median;
}

Spread spread_of(const std::vector<double>& runs) {
    Spread out;
    out.runs = int(runs.size());
    if (runs.empty())
        return out;
    out.median = percentile(runs, 0.5);
    out.min = *std::min_element(runs.begin(), runs.end());
    out.max = *std::max_element(runs.begin(), runs.end());
    return out;
}

}  // namespace os1::loadtest
