// How the companion's mood shows: a line for the system prompt, a small change to sampling,
// and prosody hints for a voice. Plain values; the caller applies them.
#pragma once

#include <string>
#include <string_view>

#include "affect/mood.h"

namespace os1::affect {

// "You feel happy, because they thanked you." The cause is left out when empty or when the mood
// is neutral.
std::string mood_prompt_line(const Pad& pad, std::string_view cause);

// The same for the user, who is told about the companion by its name: "Juniper feels content.
// Last moved when you seemed lonely." `cause_for_user` is CompanionState::mood_cause_for_user().
std::string mood_report_line(std::string_view companion_name, const Pad& pad, std::string_view cause_for_user);

struct SamplingAdjustment {
    double temperature_delta = 0.0;  // within [-0.15, 0.15]: livelier when aroused, steadier when calm
    double top_p_delta = 0.0;        // within [-0.05, 0.05]
};

SamplingAdjustment sampling_adjustment(const Pad& pad);

struct ProsodyHints {
    double rate = 1.0;             // speaking rate multiplier, [0.85, 1.15]
    double pitch_semitones = 0.0;  // [-2, 2]
    double volume = 1.0;           // [0.85, 1.15]
};

ProsodyHints prosody_hints(const Pad& pad);

}  // namespace os1::affect
