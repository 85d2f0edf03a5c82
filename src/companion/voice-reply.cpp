#include "companion/voice-reply.h"

#include <mutex>

namespace os1::companion {

struct VoiceReplySource::LastEnd {
    mutable std::mutex mutex;
    TurnEvent event;

    void record(const TurnEvent& end) {
        std::lock_guard lock(mutex);
        event = end;
    }
};

namespace {

bool is_end(const TurnEvent& event) {
    return event.kind == TurnEvent::Kind::Done || event.kind == TurnEvent::Kind::Failed;
}

class VoiceReply : public voice::Reply {
public:
    VoiceReply(Turn turn, affect::ProsodyHints prosody, std::shared_ptr<VoiceReplySource::LastEnd> last_end)
        : m_turn(std::move(turn)), m_prosody(prosody), m_last_end(std::move(last_end)) {}

    affect::ProsodyHints prosody() const override { return m_prosody; }

    ErrorOr<std::optional<Piece>> next(std::chrono::milliseconds timeout) override {
        for (;;) {
            std::optional<TurnEvent> event = m_turn.next_for(timeout);
            if (!event)
                return std::optional<Piece>{};
            switch (event->kind) {
            case TurnEvent::Kind::Prepared:
            case TurnEvent::Kind::Notice:
                continue;  // nothing to say aloud
            case TurnEvent::Kind::Text:
                return std::optional<Piece>{Piece{std::move(event->text), false}};
            case TurnEvent::Kind::Generated:  // stored by played_through() or interrupt()
            case TurnEvent::Kind::Done:       // stored already (cut short by the engine)
                if (event->kind == TurnEvent::Kind::Done)
                    m_last_end->record(*event);
                return std::optional<Piece>{Piece{{}, true}};
            case TurnEvent::Kind::Failed:
                m_last_end->record(*event);
                return make_error(event->error, event->text);
            }
        }
    }

    void interrupt(const std::string& spoken) override {
        m_turn.cancel(spoken);
        record_end();
    }

    void played_through() override {
        m_turn.deliver();
        record_end();
    }

private:
    // Once the exchange is stored, the turn ends with Done, after whatever text was still queued
    // for next().
    void record_end() {
        while (std::optional<TurnEvent> event = m_turn.next_for(std::chrono::milliseconds(0))) {
            if (is_end(*event)) {
                m_last_end->record(*event);
                return;
            }
        }
    }

    Turn m_turn;
    affect::ProsodyHints m_prosody;
    std::shared_ptr<VoiceReplySource::LastEnd> m_last_end;
};

}  // namespace

VoiceReplySource::VoiceReplySource(Conversation& conversation)
    : m_conversation(conversation), m_last_end(std::make_shared<LastEnd>()) {
    m_last_end->event.kind = TurnEvent::Kind::Failed;
}

ErrorOr<std::unique_ptr<voice::Reply>> VoiceReplySource::reply_to(const std::string& words) {
    TurnOptions options;
    options.store_when_delivered = true;
    Turn turn = OS1_TRY(m_conversation.say(words, options));
    // say() queues Prepared, with the mood's prosody, before it returns.
    affect::ProsodyHints prosody;
    if (std::optional<TurnEvent> prepared = turn.next_for(std::chrono::milliseconds(0));
        prepared && prepared->kind == TurnEvent::Kind::Prepared)
        prosody = prepared->prepared.prosody;
    return std::unique_ptr<voice::Reply>(std::make_unique<VoiceReply>(std::move(turn), prosody, m_last_end));
}

TurnEvent VoiceReplySource::last_end() const {
    std::lock_guard lock(m_last_end->mutex);
    return m_last_end->event;
}

}  // namespace os1::companion
