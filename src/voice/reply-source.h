// The seam between the voice and whoever answers: the companion (cli/talk wraps a
// companion::Conversation and its Turn) or, in tests, a scripted stand-in. The voice pipeline
// never includes the companion layer.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "affect/mood-expression.h"
#include "core/error.h"

namespace os1::voice {

// One reply being generated.
class Reply {
public:
    struct Piece {
        std::string text;  // valid UTF-8; empty with `done`
        bool done = false; // the reply is complete (stored) and nothing more follows
    };

    virtual ~Reply() = default;
    // The voice the reply should be spoken in, known before the first piece.
    virtual affect::ProsodyHints prosody() const = 0;
    // The next piece, waiting at most `timeout`; nullopt when none arrived in time. An error
    // ends the reply (nothing was stored).
    virtual ErrorOr<std::optional<Piece>> next(std::chrono::milliseconds timeout) = 0;
    // Barge-in: stops generating and stores `spoken` (exactly what was played aloud) as the
    // reply, marked interrupted. Also after the done piece, while the reply is still playing.
    virtual void interrupt(const std::string& spoken) = 0;
    // The reply was played aloud to its end: stores it whole. The reply is stored only by this
    // or by interrupt(), so that the companion never remembers saying what was not heard; a
    // Reply destroyed without either stores what was generated, marked interrupted.
    virtual void played_through() = 0;
};

class ReplySource {
public:
    virtual ~ReplySource() = default;
    // Starts the reply to what the user said.
    virtual ErrorOr<std::unique_ptr<Reply>> reply_to(const std::string& words) = 0;
};

}  // namespace os1::voice
