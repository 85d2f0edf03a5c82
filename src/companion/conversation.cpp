#include "companion/conversation.h"

#include "companion/conversation-state.h"
#include "companion/forgetting.h"
#include "companion/turn-state.h"
#include "core/utf8.h"

namespace os1::companion {

namespace {

bool blank(const std::string& text) {
    return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

// Called with the user's strand held: the last handle to a conversation saves its cache.
void release_handle(HostCore& core, UserSession& user, int64_t conversation, KeepCache keep_cache) {
    auto it = user.open_conversations.find(conversation);
    if (it == user.open_conversations.end() || --it->second > 0)
        return;
    user.open_conversations.erase(it);
    if (keep_cache == KeepCache::No || !core.caches_to_disk())
        return;
    auto turns = user.companion->conversations().turns(conversation);
    if (turns.is_error() || turns->empty())
        return;
    const std::filesystem::path file = HostCore::cache_file(user, conversation);
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    // A cache dropped since (by forget) has nothing to save, which is no failure.
    auto saved = core.backend.save_conversation(HostCore::cache_key(user, conversation), file);
    if (saved.is_error() && saved.error().kind != ErrorKind::NotFound)
        core.options.environment.log(LogLevel::Warning,
                                     "could not keep the context for next time: " + saved.error().message);
}

}  // namespace

Conversation::Conversation(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Conversation::Conversation(Conversation&&) noexcept = default;

Conversation& Conversation::operator=(Conversation&& other) noexcept {
    if (this != &other) {
        close();
        m_impl = std::move(other.m_impl);
    }
    return *this;
}

Conversation::~Conversation() { close(); }

void Conversation::close() {
    if (!m_impl)
        return;
    Impl& c = *m_impl;
    {
        std::lock_guard strand(c.user->strand);
        release_handle(*c.core, *c.user, c.current_id(), c.keep_cache);
    }
    c.core->touch(*c.user);
    --c.user->handles;
    m_impl.reset();
}

const std::string& Conversation::user() const {
    return m_impl->user->name;
}
int64_t Conversation::id() const {
    return m_impl->current_id();
}
bool Conversation::restored_from_disk() const {
    return m_impl->restored;
}

ErrorOr<Turn> Conversation::say(const std::string& text, const TurnOptions& options) {
    Impl& c = *m_impl;
    if (!is_valid_utf8(text))
        return make_error(ErrorKind::InvalidInput, "the message is not valid UTF-8");
    if (blank(text))
        return make_error(ErrorKind::InvalidInput, "the message is empty");
    if (text.size() > memory::max_text_bytes)
        return make_error(ErrorKind::InvalidInput, "the message is " + std::to_string(text.size()) +
                                                       " bytes; the longest one is " +
                                                       std::to_string(memory::max_text_bytes));
    c.core->touch(*c.user);
    const int64_t conversation = c.current_id();
    auto state = std::make_shared<Turn::State>();
    state->core = c.core;
    state->user = c.user;
    state->conversation = conversation;
    state->user_text = text;
    state->store_when_delivered = options.store_when_delivered;

    llm::ChatRequest request;
    TurnEvent prepared;
    prepared.kind = TurnEvent::Kind::Prepared;
    {
        std::lock_guard strand(c.user->strand);
        Companion& companion = *c.user->companion;
        Observation observation = OS1_TRY(companion.observe_user(text));
        state->user_time = unix_seconds(observation.observed_at);
        const auto compose_start = std::chrono::steady_clock::now();
        std::vector<memory::Turn> turns = OS1_TRY(companion.conversations().turns(conversation));
        turns.push_back({0, conversation, "user", text, state->user_time, false});
        ComposedPrompt composed = OS1_TRY(companion.compose(conversation, turns, observation.recalled));
        request.messages = std::move(composed.messages);
        state->context = std::move(composed.context);
        const double compose_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - compose_start).count();
        request.shared_prefix = companion.instructions();
        request.sampling = companion.adjust(options.sampling.value_or(c.core->options.sampling));
        state->learning.instructions = companion.instructions();
        state->learning.companion_name = companion.name();
        state->learning.user_text = text;
        state->learning.message_at = observation.observed_at;
        prepared.prepared = TurnPrepared{observation.recalled,    observation.mood_before, observation.mood_label,
                                         observation.prosody,     observation.appraise_ms, observation.recall_ms,
                                         compose_ms};
    }
    {
        std::lock_guard lock(c.mutex);
        c.last_recall = prepared.prepared.recalled;
    }
    request.conversation = HostCore::cache_key(*c.user, conversation);
    // The engine may start a new conversation from the user's own earlier ones (never from
    // another user's, past the persona).
    request.cache_owner = "user:" + c.user->name;
    request.priority = llm::Priority::Live;
    request.grammar = options.grammar;
    request.stop = options.stop;
    state->pending.push_back(std::move(prepared));
    state->reply = c.core->backend.submit(std::move(request));
    return Turn(std::move(state));
}

ErrorOr<std::vector<memory::Turn>> Conversation::history() {
    std::lock_guard strand(m_impl->user->strand);
    return m_impl->user->companion->conversations().turns(m_impl->current_id());
}

void Conversation::with(const std::function<void(Companion&)>& work) {
    std::lock_guard strand(m_impl->user->strand);
    work(*m_impl->user->companion);
}

std::string Conversation::companion_name() {
    std::lock_guard strand(m_impl->user->strand);
    return m_impl->user->companion->name();
}

bool Conversation::needs_onboarding() {
    std::lock_guard strand(m_impl->user->strand);
    return m_impl->user->companion->needs_onboarding();
}

ErrorOr<CompanionName> Conversation::finish_onboarding(persona::Onboarding onboarding) {
    std::lock_guard strand(m_impl->user->strand);
    return m_impl->user->companion->finish_onboarding(std::move(onboarding), &m_impl->core->backend);
}

std::string Conversation::mood_report() {
    std::lock_guard strand(m_impl->user->strand);
    return m_impl->user->companion->mood_report();
}

ErrorOr<std::string> Conversation::journal_report(int64_t limit) {
    std::lock_guard strand(m_impl->user->strand);
    return m_impl->user->companion->journal_report(limit);
}

std::vector<memory::Hit> Conversation::last_recall() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->last_recall;
}

ErrorOr<int64_t> Conversation::remember(const std::string& text) {
    std::lock_guard strand(m_impl->user->strand);
    return m_impl->user->companion->remember(text);
}

ErrorOr<bool> Conversation::forget(int64_t id) {
    std::lock_guard strand(m_impl->user->strand);
    return forget_memory(*m_impl->core, *m_impl->user, id);
}

ErrorOr<void> Conversation::reset() {
    Impl& c = *m_impl;
    std::lock_guard strand(c.user->strand);
    const int64_t old_id = c.current_id();
    const int64_t new_id =
        OS1_TRY(c.user->companion->conversations().create_conversation("", c.core->options.environment.now_seconds()));
    c.core->drop_cache(*c.user, old_id);
    auto it = c.user->open_conversations.find(old_id);
    if (it != c.user->open_conversations.end() && --it->second == 0)
        c.user->open_conversations.erase(it);
    ++c.user->open_conversations[new_id];
    std::lock_guard lock(c.mutex);
    c.id = new_id;
    c.last_recall.clear();
    return {};
}

}  // namespace os1::companion
