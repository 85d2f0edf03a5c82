// A spoken conversation simulated from recordings: the user's side is a list of recordings
// placed on a timeline, the companion's side is whatever the DuplexSession plays. Time is
// virtual, in 10 ms frames: it advances as audio is heard and played, and stands still while
// the session computes (recognition, the model, synthesis), whose wall time the session's
// timings report. So a simulation is the live dialogue with an infinitely patient user: what
// is said, cut and stored is the same as live, frame for frame, on any machine.
//
// `os1 talk --input`, the voice tests and `os1 bench voice` use it. Thread-safety: none of its
// own; it drives the session from the calling thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "core/error.h"
#include "voice/audio-clip.h"
#include "voice/duplex-session.h"

namespace os1::voice {

struct SimulatedInput {
    AudioClip clip;
    // When the recording starts, relative to the companion's reply to the one before it (the
    // first starts at once): `into_reply` after that reply began to play (an interruption when
    // the reply is longer), or else `gap` after it ended (or after the previous recording, when
    // it drew no reply).
    std::optional<std::chrono::milliseconds> into_reply;
    std::chrono::milliseconds gap{800};
};

struct SimulationSettings {
    // The companion's voice mixed back into the microphone, as a speaker heard by the mic is.
    double echo_gain = 0.0;
    std::chrono::milliseconds echo_delay{20};
    // Stops this long after the last recording when no reply is under way.
    std::chrono::milliseconds tail{std::chrono::seconds(3)};
    // A reply that produces no audio for this long (wall time) ends the simulation with an error.
    std::chrono::milliseconds stall_limit{std::chrono::minutes(5)};
};

struct SimulationResult {
    std::vector<TurnSummary> turns;
    AudioClip companion;                   // everything played, on the shared timeline
    std::vector<std::string> errors;       // DuplexEvent::Error texts (failed replies, synthesis)
    std::chrono::milliseconds duration{0};  // virtual
};

// Runs the conversation to its end. `on_event` sees every session event as it happens (a
// display); it may be empty. Unavailable when the session stalls past stall_limit.
ErrorOr<SimulationResult> simulate_dialogue(DuplexSession& session, const std::vector<SimulatedInput>& inputs,
                                            const SimulationSettings& settings = {},
                                            const std::function<void(const DuplexEvent&)>& on_event = {});

}  // namespace os1::voice
