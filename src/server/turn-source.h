// A reply as a streamed response: an EventSource that reads turn events without blocking
// (from a companion Turn, or from a bare llm::Reply for plain completions) and hands them to a
// Presenter, which turns them into bytes (SSE) or one whole response. The companion API and the
// OpenAI API differ only in their presenters.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "companion/turn.h"
#include "llm/llm.h"
#include "server/http-types.h"

namespace os1::server {

// Called on worker threads, one event at a time, in order.
class Presenter {
public:
    virtual ~Presenter() = default;
    // True when the headers wait for the first text, so that an early failure gets a status.
    virtual bool holds_headers() const = 0;
    // Appends what `event` becomes to `out` (bytes, or a whole response in `out.instead`).
    virtual void present(const companion::TurnEvent& event, EventSource::Chunk& out) = 0;
};

class TurnSource : public EventSource {
public:
    // `owner` keeps alive what the reply needs (the Conversation behind a Turn), and is released
    // once the turn has ended or been cancelled.
    struct Feed {
        std::function<std::optional<companion::TurnEvent>()> poll;  // never blocks
        std::function<void(std::function<void()>)> watch;
        std::function<void()> stop;    // never blocks; safe while another thread pulls
        std::function<void()> cancel;  // stores what was delivered (companion turns)
        std::shared_ptr<void> owner;
    };
    TurnSource(Feed feed, std::unique_ptr<Presenter> presenter);

    void start(std::function<void()> wake) override;
    Chunk pull() override;
    void stop() override;
    void cancel() override;
    bool holds_headers() const override;

private:
    std::mutex m_mutex;  // pull() and cancel() come from different workers
    Feed m_feed;
    std::unique_ptr<Presenter> m_presenter;
    bool m_finished = false;
};

// The feed of a companion turn; the Turn and `keep` (its Conversation) live as long as needed.
TurnSource::Feed turn_feed(companion::Turn turn, std::shared_ptr<void> keep);
// The feed of a bare reply, its events as turn events (Text, then Done or Failed).
TurnSource::Feed reply_feed(std::shared_ptr<llm::Reply> reply);

}  // namespace os1::server
