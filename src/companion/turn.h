// One exchange with the companion: the user's message and the reply, as a stream of events
// that every front end consumes the same way (the terminal prints them, the server sends them
// as SSE, the voice speaks them).
//
// Events, in order: Prepared (what was recalled, the mood before, prosody for a voice), Text
// pieces, Notices (things the user should know, such as old messages no longer fitting), then
// exactly one of Done (sent only after the exchange is committed to the user's database) or
// Failed (with a typed error kind; nothing is stored, so the history stays consistent). With
// TurnOptions::store_when_delivered, a reply generated in full hands out Generated until the
// front end calls deliver() or cancel(spoken); Done follows once that is stored.
//
// A reply cut short by cancel() stores only the text that was delivered, marked interrupted;
// dropping an unfinished Turn cancels it with what next() had handed out so far, and the
// engine stops generating for it. After Done or Failed, next() keeps returning that event.
//
// Thread-safety: one consumer calls next(); cancel() may be called from any thread, also while
// the consumer waits in next().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "affect/mood-expression.h"
#include "affect/mood.h"
#include "core/error.h"
#include "llm/llm.h"
#include "memory/memory.h"

namespace os1::companion {

// What the companion brought to this reply before it started.
struct TurnPrepared {
    std::vector<memory::Hit> recalled;
    affect::Pad mood_before;
    std::string mood_label;  // "content", "happy", ...
    affect::ProsodyHints prosody;
    // Where the time went before the engine got the request (see llm::ReplyStats for the rest).
    double appraise_ms = 0;  // appraising the message, updating the feelings
    double recall_ms = 0;    // searching the memories
    double compose_ms = 0;   // loading the conversation and composing the prompt
};

enum class NoticeKind {
    DroppedMessages,  // the oldest messages no longer fit the context; they are still saved
    ContextFull,      // the reply was cut short because the context is full
};

struct TurnEvent {
    enum class Kind { Prepared, Text, Notice, Generated, Done, Failed };
    Kind kind = Kind::Text;
    // Text: a piece of the reply (valid UTF-8); Notice: a sentence for the user; Failed: the
    // error message.
    std::string text;
    TurnPrepared prepared;                            // Prepared
    NoticeKind notice = NoticeKind::DroppedMessages;  // Notice
    int32_t count = 0;                                // Notice: how many messages were dropped
    llm::ReplyStats stats;                            // Done and Failed
    ErrorKind error = ErrorKind::Internal;            // Failed
    // Done: the stored turns; `interrupted` when the reply was cut short and only the
    // delivered part was kept.
    int64_t user_turn_id = 0;
    int64_t reply_turn_id = 0;
    bool interrupted = false;
};

class Turn {
public:
    struct State;  // shared with the conversation that started it

    explicit Turn(std::shared_ptr<State> state);
    Turn(Turn&&) noexcept;
    Turn& operator=(Turn&&) noexcept;
    // Cancels the turn when it has not ended (storing what next() handed out).
    ~Turn();

    // Blocks until the next event.
    TurnEvent next();
    // Waits at most `timeout`; nullopt when nothing arrived in time.
    std::optional<TurnEvent> next_for(std::chrono::milliseconds timeout);
    // Calls `watcher` whenever an event may be ready (at once when one is waiting), from the
    // engine's thread; it must not block. An asynchronous front end (the server) then reads
    // with next_for(0) on a thread of its own, so that no thread waits per open turn.
    void watch(std::function<void()> watcher);

    // Stops the reply and stores `spoken_prefix` as the companion's turn, marked interrupted:
    // what a voice actually played, or what a client actually received. Returns once the
    // exchange is stored; the turn then ends with Done (stop reason Cancelled). A no-op once
    // the turn has ended.
    void cancel(std::string spoken_prefix);
    // cancel() with the text that next() has handed out so far.
    void cancel();
    // TurnOptions::store_when_delivered, after Generated: all of the reply was delivered (played
    // to its end); stores it as a whole. A no-op in any other state.
    void deliver();
    // Asks the engine to stop generating, as cancel() does, without waiting and without
    // storing: cheap enough for a network thread the moment a client hangs up. The delivered
    // text is fixed now; a later cancel() (or reading on with next()) stores it once the reply
    // has ended, which is then at once. A no-op once the turn has ended or was stopped.
    void stop();

    // The text handed out by next() so far.
    std::string delivered() const;
    bool finished() const;

private:
    std::shared_ptr<State> m_state;
};

}  // namespace os1::companion
