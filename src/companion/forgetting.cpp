#include "companion/forgetting.h"

#include "affect/companion-state.h"

namespace os1::companion {

namespace {

// Every conversation's cache in the engine may hold a recalled copy of the text, not only the
// open ones (a server keeps caches of conversations no handle holds): drop them all, and the
// open ones' saved files too, and the turn contexts, whose mood lines may quote the user.
void drop_open_caches(HostCore& core, UserSession& user) {
    constexpr size_t k_all = 1'000'000;
    if (auto conversations = user.companion->conversations().recent_conversations(k_all)) {
        for (const memory::Conversation& conversation : *conversations)
            core.backend.forget_conversation(HostCore::cache_key(user, conversation.id));
    }
    for (const auto& [conversation, handles] : user.open_conversations)
        core.drop_cache(user, conversation);
    user.companion->drop_turn_contexts();
}

}  // namespace

ErrorOr<bool> forget_memory(HostCore& core, UserSession& user, int64_t id) {
    Companion& companion = *user.companion;
    auto report = OS1_TRY(companion.memory().forget(id));
    if (!report)
        return false;
    std::vector<affect::ForgottenText> forgotten;
    for (const memory::ForgottenMemory& memory : report->memories)
        forgotten.push_back({memory.text, memory.time});
    OS1_TRY(affect::redact_journal(companion.memory().database(), forgotten, companion.environment().zone));
    for (int64_t conversation : report->conversations)
        core.drop_cache(user, conversation);
    drop_open_caches(core, user);
    return true;
}

ErrorOr<memory::ForgetReport> forget_everything(HostCore& core, UserSession& user) {
    Companion& companion = *user.companion;
    // The journal first, so that forget_all's VACUUM wipes the pages it frees.
    OS1_TRY(affect::erase_journal(companion.memory().database()));
    drop_open_caches(core, user);
    return companion.memory().forget_all();
}

}  // namespace os1::companion
