// One user's committed exchanges that wait to be learned from, oldest first. The host's
// background queue holds at most one job per user, which learns from the oldest waiting
// exchange and queues itself again while more wait: users take turns on the model, and
// committing a reply never waits for learning, however far behind it is. A user who talks
// faster than the model learns grows only their own backlog, up to a bound. Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

#include "companion/learning.h"

namespace os1::companion {

class LearningBacklog {
public:
    explicit LearningBacklog(size_t capacity) : m_capacity(capacity < 1 ? 1 : capacity) {}

    struct Added {
        bool start_runner = false;         // no job runs for this user: the caller queues one
        std::optional<LearningJob> dropped;  // the oldest exchange, given up to make room
    };
    Added add(LearningJob job);

    // The oldest waiting exchange, for the runner; nullopt when none waits.
    std::optional<LearningJob> take();
    // The runner has learned from what it took: true when more wait, and it goes on; false
    // when none does, and it stops (the next add() starts another).
    bool runner_goes_on();

private:
    const size_t m_capacity;
    std::mutex m_mutex;
    std::deque<LearningJob> m_jobs;
    bool m_runner = false;
};

}  // namespace os1::companion
