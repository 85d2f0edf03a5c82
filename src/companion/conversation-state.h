// Internal to the companion module: the state behind a Conversation handle, which the host
// creates.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "companion/conversation.h"
#include "companion/host-core.h"

namespace os1::companion {

struct Conversation::Impl {
    std::shared_ptr<HostCore> core;
    std::shared_ptr<UserSession> user;
    KeepCache keep_cache = KeepCache::Yes;
    bool restored = false;

    mutable std::mutex mutex;  // guards the two below
    int64_t id = 0;
    std::vector<memory::Hit> last_recall;

    int64_t current_id() const {
        std::lock_guard lock(mutex);
        return id;
    }
};

}  // namespace os1::companion
