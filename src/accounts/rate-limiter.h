// Token-bucket rate limiting per key (a user name, an IP address) on the injected clock: each
// key may spend `burst` at once and earns `per_second` back. At most `max_keys` keys are held;
// a new key beyond that evicts the least recently used one, so an attacker cycling through
// addresses bounds the memory rather than exhausting it (an evicted key starts again with a
// full bucket). Each held key keeps a copy of its text, so keys should be short: a validated
// name or an address, never raw request text. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"

namespace os1::accounts {

class RateLimiter {
public:
    // `per_second` and `burst` must be more than zero, `max_keys` at least one; other values
    // are raised to the smallest allowed.
    RateLimiter(Clock clock, double per_second, double burst, size_t max_keys = 10000);

    struct Decision {
        bool allowed = true;
        // When refused: whole seconds (at least one) until the same take would be allowed.
        std::chrono::seconds retry_after{0};
    };

    // Spends `cost` from `key`'s bucket if it holds that much; a refused take spends nothing.
    // A cost above `burst` is never allowed (retry_after then says when the bucket is full).
    Decision take(std::string_view key, double cost = 1.0);

    // How many keys are held now (at most max_keys).
    size_t size() const;

private:
    struct Bucket {
        double tokens = 0;
        Timestamp updated;
        std::list<std::string>::iterator recency;  // its place in m_recency
    };

    Clock m_clock;
    double m_per_second;
    double m_burst;
    size_t m_max_keys;

    mutable std::mutex m_mutex;
    std::list<std::string> m_recency;  // most recently used first
    std::unordered_map<std::string, Bucket> m_buckets;
};

}  // namespace os1::accounts
