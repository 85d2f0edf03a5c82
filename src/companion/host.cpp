#include "companion/host.h"

#include "companion/conversation-state.h"
#include "core/paths.h"
#include "core/user-names.h"

namespace os1::companion {

namespace {

// Unloads users with no open conversation and no pending learning, idle for longer than the
// host allows. Called with the host's mutex held.
void evict_idle(HostCore& core) {
    const int64_t now_ms = core.options.environment.now().time_since_epoch().count();
    const int64_t idle_ms = core.options.idle_eviction.count();
    for (auto it = core.users.begin(); it != core.users.end();) {
        const UserSession& user = *it->second;
        if (user.handles == 0 && user.pending_jobs == 0 && now_ms - user.last_used_ms >= idle_ms)
            it = core.users.erase(it);
        else
            ++it;
    }
}

// The loaded user, or a newly loaded one. Called with the host's mutex held.
ErrorOr<std::shared_ptr<UserSession>> load_user(HostCore& core, std::string_view name,
                                                const std::optional<UtcOffset>& zone) {
    if (auto it = core.users.find(name); it != core.users.end())
        return it->second;
    const std::filesystem::path dir = OS1_TRY(user_dir(core.options.home, name));
    OS1_TRY(ensure_writable_dir(dir));
    Environment env = core.options.environment;
    if (zone)
        env.zone = *zone;
    auto companion = OS1_TRY(Companion::open(dir, core.options.companion, std::move(env)));
    auto user = std::make_shared<UserSession>(std::string(name), dir, std::move(companion),
                                              core.options.background_capacity);
    core.users.emplace(std::string(name), user);
    return user;
}

// How many of a user's most recent conversations Start::Continue looks through.
constexpr size_t k_continue_candidates = 20;

// True when the stored `turns` end with exactly `history` (roles and texts).
bool ends_with(const std::vector<memory::Turn>& turns, const std::vector<llm::Message>& history) {
    if (history.size() > turns.size())
        return false;
    const size_t offset = turns.size() - history.size();
    for (size_t i = 0; i < history.size(); ++i) {
        if (turns[offset + i].role != history[i].role || turns[offset + i].content != history[i].content)
            return false;
    }
    return true;
}

// The conversation that open() gives, or 0 for a new one. Called with the user's strand held.
ErrorOr<int64_t> choose_conversation(memory::ConversationStore& conversations, const OpenOptions& options) {
    switch (options.start) {
    case Start::New:
        return 0;
    case Start::Resume: {
        auto latest = OS1_TRY(conversations.latest_conversation());
        return latest ? latest->id : 0;
    }
    case Start::Id: {
        if (!OS1_TRY(conversations.conversation(options.conversation)))
            return make_error(ErrorKind::NotFound, "there is no conversation " + std::to_string(options.conversation));
        return options.conversation;
    }
    case Start::Continue: {
        if (options.history.empty())
            return 0;
        for (const memory::Conversation& candidate : OS1_TRY(conversations.recent_conversations(k_continue_candidates))) {
            if (ends_with(OS1_TRY(conversations.turns(candidate.id)), options.history))
                return candidate.id;
        }
        return 0;
    }
    }
    return 0;
}

}  // namespace

CompanionHost::CompanionHost(llm::Backend& backend, HostOptions options)
    : m_core(std::make_shared<HostCore>(backend, std::move(options))) {}

CompanionHost::~CompanionHost() {
    m_core->queue.drain();
    std::lock_guard lock(m_core->mutex);
    m_core->users.clear();
}

ErrorOr<Conversation> CompanionHost::open(std::string_view name, const OpenOptions& options) {
    HostCore& core = *m_core;
    std::shared_ptr<UserSession> user;
    {
        std::lock_guard lock(core.mutex);
        evict_idle(core);
        user = OS1_TRY(load_user(core, name, options.zone));
        ++user->handles;  // from here on, eviction leaves this user alone
    }
    core.touch(*user);
    auto impl = std::make_unique<Conversation::Impl>();
    impl->core = m_core;
    impl->user = user;
    impl->keep_cache = options.keep_cache;

    auto opened = [&]() -> ErrorOr<void> {
        std::lock_guard strand(user->strand);
        memory::ConversationStore& conversations = user->companion->conversations();
        int64_t id = OS1_TRY(choose_conversation(conversations, options));
        if (id == 0)
            id = OS1_TRY(conversations.create_conversation(options.title, core.options.environment.now_seconds()));
        impl->id = id;
        // The first handle to a conversation brings back its saved cache, so that resuming costs
        // no prefill.
        if (user->open_conversations[id]++ == 0 && options.keep_cache == KeepCache::Yes && core.caches_to_disk()) {
            auto restored =
                core.backend.restore_conversation(HostCore::cache_key(*user, id), HostCore::cache_file(*user, id));
            if (restored.is_error())
                core.options.environment.log(LogLevel::Warning,
                                             "the saved context could not be restored: " + restored.error().message);
            impl->restored = restored && restored.value();
        }
        return {};
    }();
    if (opened.is_error()) {
        --user->handles;
        return opened.release_error();
    }
    return Conversation(std::move(impl));
}

ErrorOr<UserHandle> CompanionHost::user(std::string_view name) {
    std::shared_ptr<UserSession> user;
    {
        std::lock_guard lock(m_core->mutex);
        evict_idle(*m_core);
        user = OS1_TRY(load_user(*m_core, name, std::nullopt));
        ++user->handles;
    }
    m_core->touch(*user);
    return UserHandle(m_core, std::move(user));
}

void CompanionHost::drain() {
    m_core->queue.drain();
}

bool CompanionHost::drain_for(std::chrono::milliseconds timeout) {
    return m_core->queue.drain_for(timeout);
}

BackgroundStats CompanionHost::background_stats() const {
    return m_core->queue.stats();
}

size_t CompanionHost::loaded_users() const {
    std::lock_guard lock(m_core->mutex);
    return m_core->users.size();
}

llm::BackendInfo CompanionHost::backend_info() const {
    return m_core->backend.info();
}

}  // namespace os1::companion
