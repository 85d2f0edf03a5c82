// Internal to the companion module: the shared state of a Turn, which the Conversation that
// starts it fills in.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "companion/host-core.h"
#include "companion/learning.h"
#include "companion/turn.h"
#include "companion/user-session.h"
#include "llm/llm.h"

namespace os1::companion {

// A mutex whose timed acquisition waits on a condition variable rather than a timed lock,
// which ThreadSanitizer follows (it does not intercept pthread_mutex_clocklock). Meets the
// Lockable requirements plus try_lock_for.
class DriveMutex {
public:
    void lock() { try_lock_for(std::chrono::milliseconds::max()); }
    bool try_lock() { return try_lock_for(std::chrono::milliseconds(0)); }
    bool try_lock_for(std::chrono::milliseconds timeout) {
        std::unique_lock lock(m_mutex);
        const auto free = [&] { return !m_held; };
        if (timeout == std::chrono::milliseconds::max())
            m_free.wait(lock, free);
        else if (!m_free.wait_for(lock, timeout, free))
            return false;
        m_held = true;
        return true;
    }
    void unlock() {
        {
            std::lock_guard lock(m_mutex);
            m_held = false;
        }
        m_free.notify_one();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_free;
    bool m_held = false;
};

struct Turn::State {
    std::shared_ptr<HostCore> core;
    std::shared_ptr<UserSession> user;
    int64_t conversation = 0;
    std::string user_text;
    int64_t user_time = 0;
    TurnContext context;  // kept with the user's message when the exchange is stored
    std::shared_ptr<llm::Reply> reply;
    LearningJob learning;  // filled in when the exchange is committed

    // Held by whoever reads `reply`: next() or cancel().
    DriveMutex drive;
    // Guards the fields below, which cancel() reads from any thread.
    mutable std::mutex mutex;
    std::deque<TurnEvent> pending;  // events to hand out before reading the reply again
    std::string delivered;          // text handed out by next()
    std::optional<std::string> cancel_prefix;
    std::optional<TurnEvent> terminal;  // Done or Failed, once the exchange is settled
    // TurnOptions::store_when_delivered: the reply's end, read but not yet settled, until the
    // front end says how much of it was delivered (deliver() or cancel()).
    bool store_when_delivered = false;
    std::optional<llm::ReplyEvent> generated_end;
};

}  // namespace os1::companion
