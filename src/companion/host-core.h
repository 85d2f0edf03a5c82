// Internal to the companion module: what the host shares with its conversations and turns.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "companion/background-queue.h"
#include "companion/host.h"
#include "companion/user-session.h"
#include "llm/llm.h"

namespace os1::companion {

struct HostCore {
    HostCore(llm::Backend& backend_, HostOptions options_)
        : backend(backend_),
          options(std::move(options_)),
          queue(options.background_workers, options.background_capacity, options.environment.log) {}

    llm::Backend& backend;
    const HostOptions options;
    BackgroundQueue queue;

    mutable std::mutex mutex;
    std::map<std::string, std::shared_ptr<UserSession>, std::less<>> users;  // under mutex

    // The engine's name for a conversation: unique across users, whose ids overlap.
    static std::string cache_key(const UserSession& user, int64_t conversation) {
        return user.name + "/" + std::to_string(conversation);
    }
    static std::filesystem::path cache_file(const UserSession& user, int64_t conversation) {
        return memory::conversation_cache_file(user.dir, conversation);
    }
    bool caches_to_disk() const { return backend.info().name == "local"; }

    // Drops a conversation's KV cache from the engine and from disk (after reset or forget).
    void drop_cache(const UserSession& user, int64_t conversation) {
        backend.forget_conversation(cache_key(user, conversation));
        (void)memory::delete_conversation_caches(user.dir, {conversation});
    }

    void touch(UserSession& user) const { user.last_used_ms = options.environment.now().time_since_epoch().count(); }
};

}  // namespace os1::companion
