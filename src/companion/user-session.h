// Internal to the companion module: one user as the host holds them. The live strand guards
// the Companion (everything a reply reads and writes); the learning strand guards the
// connections that background learning uses, so that the model's slow work never holds up a
// live reply. Both strands may be held at once only in the order strand, then learning.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "companion/companion.h"
#include "companion/learning-backlog.h"
#include "core/database.h"
#include "memory/memory.h"

namespace os1::companion {

struct UserSession {
    const std::string name;
    const std::filesystem::path dir;

    std::mutex strand;
    std::unique_ptr<Companion> companion;       // under strand
    std::map<int64_t, int> open_conversations;  // under strand: Conversation handles per id

    std::mutex learning;
    std::optional<memory::MemoryStore> learning_memory;  // under learning, opened on first use
    std::optional<Database> learning_db;                 // under learning, opened on first use

    explicit UserSession(std::string name_, std::filesystem::path dir_, std::unique_ptr<Companion> companion_,
                         size_t learning_capacity)
        : name(std::move(name_)), dir(std::move(dir_)), companion(std::move(companion_)), backlog(learning_capacity) {}

    LearningBacklog backlog;  // exchanges waiting to be learned from

    // For eviction (read under the host's lock): live handles and exchanges not yet learned from.
    std::atomic<int> handles{0};
    std::atomic<int> pending_jobs{0};
    std::atomic<int64_t> last_used_ms{0};
};

}  // namespace os1::companion
