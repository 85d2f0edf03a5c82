// The companion host: one process serving many people, each with their own companion, through
// many front ends (the terminal, HTTP, voice). It owns the backend, the optional embedder, the
// environment (clock, default zone, log sink), a bounded background queue for learning, and one
// Companion per user, loaded on demand and evicted when idle.
//
// Thread-safe: open() may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "companion/background-queue.h"
#include "companion/companion.h"
#include "companion/conversation.h"
#include "core/environment.h"
#include "core/error.h"
#include "llm/llm.h"

namespace os1::companion {

struct HostOptions {
    std::filesystem::path home;  // the data folder; users live in <home>/users/<name>
    Environment environment;     // the clock, the default time zone, the log sink
    CompanionOptions companion;
    llm::SamplingParams sampling;  // defaults for replies, before the mood's nudge
    size_t background_workers = 1;
    size_t background_capacity = 64;  // queued learning jobs before say() waits for room
    // A user with no open conversation and no pending learning is unloaded after this long.
    std::chrono::milliseconds idle_eviction = std::chrono::minutes(10);
};

enum class Start { Resume, New };
enum class KeepCache { Yes, No };

struct OpenOptions {
    Start start = Start::Resume;            // the most recent conversation, or a new one
    std::string title;                      // for a new conversation
    KeepCache keep_cache = KeepCache::Yes;  // No: a one-off conversation saves no KV cache
    // The user's time zone, taken when their companion is loaded; the host's default otherwise.
    std::optional<UtcOffset> zone;
};

class CompanionHost {
public:
    // `backend` serves every user and must outlive the host.
    CompanionHost(llm::Backend& backend, HostOptions options);
    // Waits for the learning already queued, then unloads everyone.
    ~CompanionHost();

    // A conversation of `user` (created with their folder on first use). Fails with
    // InvalidInput for a user name that check_user_name refuses.
    ErrorOr<Conversation> open(std::string_view user, const OpenOptions& options = {});

    // Waits until every learning job queued so far has finished.
    void drain();
    BackgroundStats background_stats() const;
    // Users whose companion is loaded now.
    size_t loaded_users() const;
    llm::BackendInfo backend_info() const;

    CompanionHost(const CompanionHost&) = delete;
    CompanionHost& operator=(const CompanionHost&) = delete;

private:
    std::shared_ptr<HostCore> m_core;
};

}  // namespace os1::companion
