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
#include <vector>

#include "companion/background-queue.h"
#include "companion/companion.h"
#include "companion/conversation.h"
#include "companion/user-handle.h"
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
    // Exchanges per user waiting to be learned from; past it the oldest is given up (its turns
    // stay in memory), with a warning.
    size_t background_capacity = 256;
    // A user with no open conversation and no pending learning is unloaded after this long.
    std::chrono::milliseconds idle_eviction = std::chrono::minutes(10);
};

// Which conversation open() gives: the most recent one, a new one, the one with a given id, or
// the one that continues a history a client sent (see OpenOptions::history).
enum class Start { Resume, New, Id, Continue };
enum class KeepCache { Yes, No };

struct OpenOptions {
    Start start = Start::Resume;
    std::string title;                      // for a new conversation
    // Start::Id: this conversation of the user's; NotFound when they have none with this id
    // (which is also what another user's id gets).
    int64_t conversation = 0;
    // Start::Continue: the messages a client already holds (user and assistant, oldest first).
    // The conversation continued is the one among the user's most recent whose stored turns end
    // with exactly these messages; when none does (an edited or foreign history), a new one is
    // started and the client's messages are not stored: the companion never adopts words as its
    // own that it did not say, and no history reaches a conversation it did not come from.
    std::vector<llm::Message> history;
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

    // The user's companion outside a conversation (created with their folder on first use).
    // Fails with InvalidInput for a user name that check_user_name refuses.
    ErrorOr<UserHandle> user(std::string_view user);

    // Waits until every learning job queued so far has finished.
    void drain();
    // drain() for at most `timeout`; false when learning was still queued or running then.
    bool drain_for(std::chrono::milliseconds timeout);
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
