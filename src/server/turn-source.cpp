#include "server/turn-source.h"

namespace os1::server {

using companion::TurnEvent;

namespace {

// Events handed on per pull: enough to batch a burst, few enough to keep latency even.
constexpr int k_events_per_pull = 64;

bool terminal(const TurnEvent& event) {
    return event.kind == TurnEvent::Kind::Done || event.kind == TurnEvent::Kind::Failed;
}

}  // namespace

TurnSource::TurnSource(Feed feed, std::unique_ptr<Presenter> presenter)
    : m_feed(std::move(feed)), m_presenter(std::move(presenter)) {}

void TurnSource::start(std::function<void()> wake) {
    m_feed.watch(std::move(wake));
}

bool TurnSource::holds_headers() const {
    return m_presenter->holds_headers();
}

EventSource::Chunk TurnSource::pull() {
    std::lock_guard lock(m_mutex);
    Chunk out;
    for (int i = 0; i < k_events_per_pull && !m_finished; ++i) {
        std::optional<TurnEvent> event = m_feed.poll();
        if (!event)
            break;
        m_presenter->present(*event, out);
        if (terminal(*event) || out.instead) {
            m_finished = true;
            m_feed.watch({});
            m_feed.owner.reset();
        }
    }
    out.finished = m_finished;
    return out;
}

void TurnSource::stop() {
    m_feed.stop();  // set once at construction, so no lock: a pull may be storing the turn
}

void TurnSource::cancel() {
    std::lock_guard lock(m_mutex);
    if (m_finished)
        return;
    m_finished = true;
    m_feed.watch({});
    m_feed.cancel();
    m_feed.owner.reset();
}

TurnSource::Feed turn_feed(companion::Turn turn, std::shared_ptr<void> keep) {
    struct Held {
        Held(companion::Turn turn_, std::shared_ptr<void> keep_) : turn(std::move(turn_)), keep(std::move(keep_)) {}
        companion::Turn turn;
        std::shared_ptr<void> keep;
        ~Held() {
            // The Turn goes before what it needs (its Conversation).
            turn = companion::Turn(nullptr);
        }
    };
    auto held = std::make_shared<Held>(std::move(turn), std::move(keep));
    TurnSource::Feed feed;
    companion::Turn* t = &held->turn;
    feed.poll = [t] { return t->next_for(std::chrono::milliseconds(0)); };
    feed.watch = [t](std::function<void()> wake) { t->watch(std::move(wake)); };
    // Weak: the turn goes once it has ended, while a hang-up may still come.
    feed.stop = [weak = std::weak_ptr<Held>(held)] {
        if (auto alive = weak.lock())
            alive->turn.stop();
    };
    feed.cancel = [t] { t->cancel(); };
    feed.owner = held;
    return feed;
}

TurnSource::Feed reply_feed(std::shared_ptr<llm::Reply> reply) {
    TurnSource::Feed feed;
    llm::Reply* r = reply.get();
    feed.poll = [r]() -> std::optional<TurnEvent> {
        auto event = r->next_for(std::chrono::milliseconds(0));
        if (!event)
            return std::nullopt;
        TurnEvent out;
        out.stats = event->stats;
        switch (event->kind) {
        case llm::ReplyEvent::Kind::Text:
            out.kind = TurnEvent::Kind::Text;
            out.text = std::move(event->text);
            break;
        case llm::ReplyEvent::Kind::Done:
            out.kind = TurnEvent::Kind::Done;
            break;
        case llm::ReplyEvent::Kind::Failed:
            out.kind = TurnEvent::Kind::Failed;
            out.text = std::move(event->text);
            out.error = event->error;
            break;
        }
        return out;
    };
    feed.watch = [r](std::function<void()> wake) { r->watch(std::move(wake)); };
    feed.stop = [weak = std::weak_ptr<llm::Reply>(reply)] {
        if (auto alive = weak.lock())
            alive->cancel();
    };
    feed.cancel = [r] { r->cancel(); };
    feed.owner = std::move(reply);
    return feed;
}

}  // namespace os1::server
