// A reply's synthesised clauses on their way to the listener's ears, and what of them was heard.
//
// The output is one stream of samples, counted from the session's start. emit() copies the next
// reply audio into it and notes where each piece went; heard_up_to() says how far the listener
// has actually heard that stream. The two differ when something buffers the audio between the
// session and the speaker (a browser's jitter buffer holds up to half a second): a reply cut
// short must be stored with what was heard, not with what was handed over. A clause counts as
// spoken once all of it was heard; of the clause being heard, spoken() keeps its words in
// proportion to the share heard, a word counted once its share has been heard.
//
// A clause may be queued while it is still being synthesised (begin_clause, add_audio,
// end_clause): emission waits at its end until it is complete, and its words count as spoken
// only once it is complete (its length, and so the share heard, is not known before).
//
// When the listener drops what it holds (playback paused for a possible barge-in),
// rewind_to_heard() moves emission back to the first sample not heard, so that playback resumes
// with nothing missing.
//
// Not thread-safe: the owner serialises the calls.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "voice/audio-clip.h"

namespace os1::voice {

class PlaybackQueue {
public:
    // Queues a clause: its text as it stands in the reply (leading space included) and its
    // audio, which may be empty (punctuation only; its text still belongs to what is spoken).
    void push(std::string text, std::vector<Sample> samples);
    // The same, piece by piece as the audio is made.
    void begin_clause(std::string text);
    void add_audio(std::span<const Sample> samples);  // to the clause begun last
    void end_clause();

    // Copies the next reply audio to the start of `out`, which begins at `position` in the
    // output stream; returns how many samples it wrote (fewer when the queue runs dry).
    size_t emit(std::span<Sample> out, uint64_t position);

    // The listener has heard the output stream up to `position` (exclusive). Never moves back.
    void heard_up_to(uint64_t position);

    // Forgets what was emitted and not heard: the next emit() starts at the first unheard sample.
    void rewind_to_heard();

    // True when emit() of `count` samples would not run dry inside a clause still being
    // synthesised, and there is something to emit.
    bool ready_to_emit(size_t count) const;
    // True when every queued clause was heard whole (or nothing is queued).
    bool all_heard() const { return m_clauses.empty(); }

    // The text heard: the clauses heard whole and the words heard of the one being heard.
    std::string spoken() const;

    void clear();

private:
    struct Clause {
        std::string text;
        std::vector<Sample> samples;
        size_t emitted = 0;
        size_t heard = 0;
        bool complete = false;
    };
    // Where a run of a clause's samples went in the output stream.
    struct Piece {
        uint64_t position = 0;
        size_t count = 0;
        uint64_t clause = 0;  // the clause's number
        size_t offset = 0;    // in the clause's samples
    };

    Clause& clause_numbered(uint64_t number);
    void drop_heard_clauses();

    std::deque<Clause> m_clauses;  // the front is the first not heard whole
    uint64_t m_front_number = 0;   // the number of m_clauses.front()
    size_t m_emitting = 0;         // index in m_clauses of the first clause not emitted whole
    std::deque<Piece> m_pieces;    // emitted and not yet heard, in stream order
    uint64_t m_heard = 0;
    std::string m_spoken;          // the clauses heard whole
};

}  // namespace os1::voice
