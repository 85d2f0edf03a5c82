#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "llm/llm.h"

namespace os1::llm {

struct Reply::State {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<ReplyEvent> events;
    std::optional<ReplyEvent> terminal;  // the Done/Failed event once it has been read
    std::atomic<bool> cancel_requested{false};
    // Under mutex. Shared, so that handing it out with each event copies a pointer, not the
    // function.
    std::shared_ptr<const std::function<void()>> watcher;

    // Queues an event and reads the watcher under one lock, then wakes the blocked readers and
    // the watcher.
    void publish(ReplyEvent event) {
        std::shared_ptr<const std::function<void()>> wake;
        {
            std::lock_guard lock(mutex);
            events.push_back(std::move(event));
            wake = watcher;
        }
        ready.notify_all();
        if (wake)
            (*wake)();
    }
};

Reply::Reply() : m_state(std::make_unique<State>()) {}
Reply::~Reply() = default;

ReplyEvent Reply::next() {
    std::unique_lock lock(m_state->mutex);
    m_state->ready.wait(lock, [&] { return !m_state->events.empty() || m_state->terminal; });
    if (m_state->events.empty())
        return *m_state->terminal;
    ReplyEvent event = std::move(m_state->events.front());
    m_state->events.pop_front();
    if (event.kind != ReplyEvent::Kind::Text)
        m_state->terminal = event;
    return event;
}

std::optional<ReplyEvent> Reply::next_for(std::chrono::milliseconds timeout) {
    {
        std::unique_lock lock(m_state->mutex);
        if (!m_state->ready.wait_for(lock, timeout,
                                     [&] { return !m_state->events.empty() || m_state->terminal; }))
            return std::nullopt;
    }
    return next();
}

void Reply::watch(std::function<void()> watcher) {
    auto shared = watcher ? std::make_shared<const std::function<void()>>(std::move(watcher)) : nullptr;
    bool waiting = false;
    {
        std::lock_guard lock(m_state->mutex);
        m_state->watcher = shared;
        waiting = !m_state->events.empty() || m_state->terminal;
    }
    if (waiting && shared)
        (*shared)();
}

void Reply::cancel() { m_state->cancel_requested = true; }
bool Reply::cancelled() const { return m_state->cancel_requested; }

ErrorOr<std::string> Reply::collect(ReplyStats* stats) {
    std::string text;
    for (;;) {
        ReplyEvent event = next();
        switch (event.kind) {
        case ReplyEvent::Kind::Text:
            text += event.text;
            break;
        case ReplyEvent::Kind::Done:
            if (stats)
                *stats = event.stats;
            return text;
        case ReplyEvent::Kind::Failed:
            if (stats)
                *stats = event.stats;
            return make_error(event.error, event.text);
        }
    }
}

void Reply::push_text(std::string text) {
    if (text.empty())
        return;
    m_state->publish(ReplyEvent{ReplyEvent::Kind::Text, std::move(text), {}});
}

void Reply::finish(const ReplyStats& stats) {
    m_state->publish(ReplyEvent{ReplyEvent::Kind::Done, {}, stats});
}

void Reply::fail(std::string message, const ReplyStats& stats) {
    fail(make_error(std::move(message)), stats);
}

void Reply::fail(const Error& error, const ReplyStats& stats) {
    ReplyStats final_stats = stats;
    final_stats.stop_reason = StopReason::Error;
    m_state->publish(ReplyEvent{ReplyEvent::Kind::Failed, error.message, final_stats, error.kind});
}

}  // namespace os1::llm
