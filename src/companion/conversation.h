// One user's conversation, as a front end holds it. say() starts a Turn; the commands a chat
// offers (remember, forget, mood, journal, reset) go through here too, so that every front
// end for the same user shares one companion and none loses another's updates.
//
// The conversation's KV cache is managed here: restored from disk when the first handle to it
// opens, saved when the last one closes (local engine only), dropped on reset and when its
// turns are forgotten.
//
// Thread-safe: several threads may use one Conversation, and several Conversations may share
// a user; the user's state is touched by one of them at a time. A Conversation and its Turns
// must not outlive the CompanionHost that opened them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "companion/companion.h"
#include "companion/turn.h"

namespace os1::companion {

struct UserSession;
struct HostCore;

// How one reply is generated.
struct TurnOptions {
    std::optional<llm::SamplingParams> sampling;  // the host's defaults when absent
    std::string grammar;                          // GBNF the reply must follow; empty: free text
    std::vector<std::string> stop;                // the reply ends before any of these
    // A front end that delivers the reply after it was generated (a voice plays it aloud):
    // the exchange is stored only once it says how much was delivered, with Turn::deliver()
    // (all of it) or Turn::cancel(spoken). Until then, a complete reply's Turn hands out
    // Generated. The companion never remembers saying what the user never heard.
    bool store_when_delivered = false;
};

class Conversation {
public:
    Conversation(Conversation&&) noexcept;
    Conversation& operator=(Conversation&&) noexcept;
    // Saves the KV cache when this was the last handle to the conversation.
    ~Conversation();

    // Starts a reply to `text`, which must be valid UTF-8, not blank, and at most
    // memory::max_text_bytes. The user's message is appraised and memories are recalled
    // before this returns; generation then streams through the Turn.
    ErrorOr<Turn> say(const std::string& text, const TurnOptions& options = {});

    const std::string& user() const;
    int64_t id() const;
    // True when this handle found the conversation's saved KV cache and restored it.
    bool restored_from_disk() const;
    ErrorOr<std::vector<memory::Turn>> history();

    // Runs `work` on the user's companion with the user's strand held (see UserHandle::with).
    void with(const std::function<void(Companion&)>& work);
    std::string companion_name();
    bool needs_onboarding();
    ErrorOr<CompanionName> finish_onboarding(persona::Onboarding onboarding);
    std::string mood_report();
    ErrorOr<std::string> journal_report(int64_t limit);
    // The memories recalled for this handle's last turn.
    std::vector<memory::Hit> last_recall() const;
    ErrorOr<int64_t> remember(const std::string& text);
    // Forgets memory `id` (and what forgetting removes with it); false when there is none.
    ErrorOr<bool> forget(int64_t id);
    // Starts a new conversation for this handle (memories stay); the old one's cache is dropped.
    ErrorOr<void> reset();

private:
    friend class CompanionHost;
    struct Impl;
    explicit Conversation(std::unique_ptr<Impl> impl);
    // Gives up this handle: the last one to a conversation saves its cache.
    void close();
    std::unique_ptr<Impl> m_impl;
};

}  // namespace os1::companion
