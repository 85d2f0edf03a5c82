// Internal to the companion module: the shared state of a Turn, which the Conversation that
// starts it fills in.
#pragma once

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

struct Turn::State {
    std::shared_ptr<HostCore> core;
    std::shared_ptr<UserSession> user;
    int64_t conversation = 0;
    std::string user_text;
    int64_t user_time = 0;
    std::shared_ptr<llm::Reply> reply;
    LearningJob learning;  // filled in when the exchange is committed

    // Held by whoever reads `reply`: next() or cancel().
    std::timed_mutex drive;
    // Guards the fields below, which cancel() reads from any thread.
    mutable std::mutex mutex;
    std::deque<TurnEvent> pending;  // events to hand out before reading the reply again
    std::string delivered;          // text handed out by next()
    std::optional<std::string> cancel_prefix;
    std::optional<TurnEvent> terminal;  // Done or Failed, once the exchange is settled
};

}  // namespace os1::companion
