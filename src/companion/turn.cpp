#include "companion/turn.h"

#include "companion/turn-state.h"

namespace os1::companion {

namespace {

using State = Turn::State;

TurnEvent failed(Error error, const llm::ReplyStats& stats) {
    TurnEvent event;
    event.kind = TurnEvent::Kind::Failed;
    event.text = std::move(error.message);
    event.error = error.kind;
    event.stats = stats;
    return event;
}

TurnEvent notice(NoticeKind kind, std::string text, int32_t count = 0) {
    TurnEvent event;
    event.kind = TurnEvent::Kind::Notice;
    event.notice = kind;
    event.text = std::move(text);
    event.count = count;
    return event;
}

// Learns from the user's oldest waiting exchange, then queues itself again, behind the other
// users' runners, while more wait.
void post_learning_runner(HostCore& core, std::shared_ptr<UserSession> user) {
    const std::string label = "learning for " + user->name;
    auto posted = core.queue.post_now(label, [&core, user]() -> ErrorOr<void> {
        // However learning ends (an exception too), the next waiting exchange gets its turn.
        struct Next {
            HostCore& core;
            std::shared_ptr<UserSession> user;
            ~Next() {
                if (user->backlog.runner_goes_on())
                    post_learning_runner(core, user);
            }
        } next{core, user};
        std::optional<LearningJob> job = user->backlog.take();
        if (!job)
            return {};
        struct Done {
            UserSession& user;
            ~Done() { --user.pending_jobs; }
        } done{*user};
        return learn_from_exchange(core.backend, *user, *job);
    });
    if (posted.is_error()) {  // the host is shutting down: what waits is not learned from
        core.options.environment.log(LogLevel::Warning, posted.error().message);
        while (user->backlog.take())
            --user->pending_jobs;
        (void)user->backlog.runner_goes_on();
    }
}

// Queues learning from the committed exchange; never waits.
void schedule_learning(State& s, int64_t user_turn, int64_t reply_turn, const std::string& reply_text) {
    const Companion& companion = *s.user->companion;  // options never change
    if (!companion.options().learn)
        return;
    // Named as sync_conversation_turns names it, which stored these turns as episodes already.
    const std::string conversation = "conversation:" + std::to_string(s.conversation);
    const int64_t now = s.core->options.environment.now_seconds();
    s.learning.exchange = {
        {"turn:" + std::to_string(user_turn), conversation, "user", "user", s.user_time, s.user_text},
        {"turn:" + std::to_string(reply_turn), conversation, "assistant", "assistant", now, reply_text}};
    ++s.user->pending_jobs;
    LearningBacklog::Added added = s.user->backlog.add(s.learning);
    if (added.dropped) {
        --s.user->pending_jobs;
        s.core->options.environment.log(
            LogLevel::Warning, s.user->name + ": learning is " + std::to_string(s.core->options.background_capacity) +
                                   " exchanges behind; the oldest waiting one is not learned from (its turns stay "
                                   "in memory)");
    }
    if (added.start_runner)
        post_learning_runner(*s.core, s.user);
}

// The reply has ended: stores the exchange (the delivered prefix when it was cut short), then
// queues the notices and the terminal event. Called with `drive` held.
void settle(State& s, const llm::ReplyEvent& end) {
    std::optional<std::string> prefix;
    std::string delivered;
    {
        std::lock_guard lock(s.mutex);
        prefix = s.cancel_prefix;
        delivered = s.delivered;
    }
    const bool cut_short = prefix || end.stats.stop_reason == llm::StopReason::Cancelled;
    if (end.kind == llm::ReplyEvent::Kind::Failed && !cut_short) {
        // Nothing is stored: the history keeps no user message without its answer.
        std::lock_guard lock(s.mutex);
        s.terminal = failed(make_error(end.error, end.text), end.stats);
        return;
    }
    const std::string reply_text = prefix ? *prefix : delivered;
    const memory::Interrupted interrupted = cut_short ? memory::Interrupted::Yes : memory::Interrupted::No;

    ErrorOr<std::pair<int64_t, int64_t>> ids = make_error("not stored");
    {
        std::lock_guard strand(s.user->strand);
        ids = s.user->companion->commit_exchange(s.conversation, s.user_text, s.user_time, reply_text, interrupted,
                                                 std::move(s.context));
    }
    if (ids.is_error()) {
        std::lock_guard lock(s.mutex);
        s.terminal =
            failed(make_error(ids.error().kind, "the reply could not be saved: " + ids.error().message), end.stats);
        return;
    }
    // A message left before the first word of the answer (a client that hung up, a user who
    // spoke again at once) is kept, and reaches memory with the next exchange, but is not
    // learned from on its own: a crowd of dropped requests would keep the model busy with
    // appraisals and extractions for minutes after it left.
    if (!(cut_short && reply_text.empty()))
        schedule_learning(s, ids->first, ids->second, reply_text);

    TurnEvent done;
    done.kind = TurnEvent::Kind::Done;
    done.stats = end.stats;
    done.user_turn_id = ids->first;
    done.reply_turn_id = ids->second;
    done.interrupted = cut_short;
    std::lock_guard lock(s.mutex);
    if (end.stats.dropped_messages > 0)
        s.pending.push_back(notice(NoticeKind::DroppedMessages,
                                   "our conversation outgrew the context: the oldest " +
                                       std::to_string(end.stats.dropped_messages) +
                                       " messages no longer fit in what I see now; they are still saved",
                                   end.stats.dropped_messages));
    if (end.stats.stop_reason == llm::StopReason::ContextFull)
        s.pending.push_back(notice(NoticeKind::ContextFull, "the reply was cut short: the context is full"));
    s.terminal = std::move(done);
}

TurnEvent generated() {
    TurnEvent event;
    event.kind = TurnEvent::Kind::Generated;
    return event;
}

// The complete reply's end while it waits to be delivered; nullopt otherwise.
std::optional<llm::ReplyEvent> generated_end(State& s) {
    std::lock_guard lock(s.mutex);
    if (s.terminal)
        return std::nullopt;
    return s.generated_end;
}

// Hands out what is pending, else the terminal event (or Generated while a complete reply
// waits to be delivered); nullopt when the reply must be read.
std::optional<TurnEvent> take_pending(State& s) {
    std::lock_guard lock(s.mutex);
    if (!s.pending.empty()) {
        TurnEvent event = std::move(s.pending.front());
        s.pending.pop_front();
        return event;
    }
    if (s.terminal)
        return *s.terminal;
    if (s.generated_end)
        return generated();
    return std::nullopt;
}

// One event from the reply, turned into a turn event (or settled into the terminal one).
std::optional<TurnEvent> take_reply_event(State& s, llm::ReplyEvent event) {
    if (event.kind == llm::ReplyEvent::Kind::Text) {
        std::lock_guard lock(s.mutex);
        if (s.cancel_prefix)
            return std::nullopt;  // cancelled: nothing more is delivered
        s.delivered += event.text;
        TurnEvent text;
        text.kind = TurnEvent::Kind::Text;
        text.text = std::move(event.text);
        return text;
    }
    if (event.kind == llm::ReplyEvent::Kind::Done) {
        std::lock_guard lock(s.mutex);
        if (s.store_when_delivered && !s.cancel_prefix) {
            // Stored once the front end says how much it delivered.
            s.generated_end = std::move(event);
            return generated();
        }
    }
    settle(s, event);
    return take_pending(s);
}

}  // namespace

Turn::Turn(std::shared_ptr<State> state) : m_state(std::move(state)) {}
Turn::Turn(Turn&&) noexcept = default;

Turn& Turn::operator=(Turn&& other) noexcept {
    if (this != &other) {
        if (m_state && !finished())
            cancel();
        m_state = std::move(other.m_state);
    }
    return *this;
}

Turn::~Turn() {
    if (m_state && !finished())
        cancel();
}

TurnEvent Turn::next() {
    State& s = *m_state;
    std::lock_guard drive(s.drive);
    for (;;) {
        if (auto event = take_pending(s))
            return *event;
        if (auto event = take_reply_event(s, s.reply->next()))
            return *event;
    }
}

std::optional<TurnEvent> Turn::next_for(std::chrono::milliseconds timeout) {
    State& s = *m_state;
    std::unique_lock drive(s.drive, std::defer_lock);
    if (!drive.try_lock_for(timeout))
        return std::nullopt;
    if (auto event = take_pending(s))
        return event;
    auto reply_event = s.reply->next_for(timeout);
    if (!reply_event)
        return std::nullopt;
    return take_reply_event(s, std::move(*reply_event));
}

void Turn::watch(std::function<void()> watcher) {
    State& s = *m_state;
    bool waiting = false;
    {
        std::lock_guard lock(s.mutex);
        waiting = !s.pending.empty() || s.terminal;
    }
    s.reply->watch(watcher);
    if (waiting && watcher)
        watcher();
}

void Turn::cancel(std::string spoken_prefix) {
    State& s = *m_state;
    {
        std::lock_guard lock(s.mutex);
        if (s.terminal)
            return;
        if (!s.cancel_prefix)
            s.cancel_prefix = std::move(spoken_prefix);
    }
    s.reply->cancel();
    std::lock_guard drive(s.drive);  // a concurrent next() returns once the reply has ended
    if (const std::optional<llm::ReplyEvent> end = generated_end(s)) {
        settle(s, *end);  // the reply was complete; what was delivered of it is stored
        return;
    }
    for (;;) {
        {
            std::lock_guard lock(s.mutex);
            if (s.terminal)
                return;
        }
        llm::ReplyEvent event = s.reply->next();
        if (event.kind != llm::ReplyEvent::Kind::Text)
            settle(s, event);
    }
}

void Turn::cancel() {
    cancel(delivered());
}

void Turn::deliver() {
    State& s = *m_state;
    std::lock_guard drive(s.drive);
    {
        std::lock_guard lock(s.mutex);
        if (s.terminal || s.cancel_prefix)
            return;
    }
    if (const std::optional<llm::ReplyEvent> end = generated_end(s))
        settle(s, *end);
}

void Turn::stop() {
    State& s = *m_state;
    {
        std::lock_guard lock(s.mutex);
        if (s.terminal || s.cancel_prefix)
            return;
        s.cancel_prefix = s.delivered;
    }
    s.reply->cancel();
}

std::string Turn::delivered() const {
    std::lock_guard lock(m_state->mutex);
    return m_state->delivered;
}

bool Turn::finished() const {
    std::lock_guard lock(m_state->mutex);
    return m_state->terminal.has_value();
}

}  // namespace os1::companion
