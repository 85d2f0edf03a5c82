#include "accounts/rate-limiter.h"

#include <algorithm>
#include <cmath>

namespace os1::accounts {

namespace {

// Retry-After is given in whole seconds; a wait of a day is as good as "not for now".
constexpr double longest_retry_seconds = 86400;

}  // namespace

RateLimiter::RateLimiter(Clock clock, double per_second, double burst, size_t max_keys)
    : m_clock(std::move(clock)),
      m_per_second(std::isfinite(per_second) && per_second > 1e-9 ? per_second : 1e-9),
      m_burst(std::isfinite(burst) && burst > 1e-9 ? burst : 1e-9),
      m_max_keys(std::max<size_t>(max_keys, 1)) {}

RateLimiter::Decision RateLimiter::take(std::string_view key_view, double cost) {
    if (std::isnan(cost) || cost < 0)
        cost = 0;
    const Timestamp now = m_clock();
    std::string key(key_view);
    std::lock_guard lock(m_mutex);

    auto found = m_buckets.find(key);
    if (found == m_buckets.end()) {
        if (m_buckets.size() >= m_max_keys) {
            m_buckets.erase(m_recency.back());
            m_recency.pop_back();
        }
        m_recency.push_front(key);
        found = m_buckets.emplace(std::move(key), Bucket{m_burst, now, m_recency.begin()}).first;
    } else {
        m_recency.splice(m_recency.begin(), m_recency, found->second.recency);
    }

    Bucket& bucket = found->second;
    // A clock that steps back earns nothing, and does not move the bucket's time back either.
    if (now > bucket.updated) {
        const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
        bucket.tokens = std::min(m_burst, bucket.tokens + elapsed * m_per_second);
        bucket.updated = now;
    }
    // The slack absorbs rounding, so that waiting exactly retry_after is always enough.
    if (cost <= bucket.tokens + 1e-9) {
        bucket.tokens = std::max(0.0, bucket.tokens - cost);
        return {};
    }
    const double needed = std::min(cost, m_burst) - bucket.tokens;
    const double wait = std::min(std::ceil(needed / m_per_second), longest_retry_seconds);
    return {false, std::chrono::seconds(std::max<int64_t>(1, int64_t(wait)))};
}

size_t RateLimiter::size() const {
    std::lock_guard lock(m_mutex);
    return m_buckets.size();
}

}  // namespace os1::accounts
