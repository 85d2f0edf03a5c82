#include "affect/mood-expression.h"

#include <algorithm>

namespace os1::affect {

std::string mood_prompt_line(const Pad& pad, std::string_view cause) {
    const MoodLabel label = label_for(pad);
    std::string line = "You feel " + std::string(mood_label_name(label));
    // A neutral mood has no cause worth giving.
    if (!cause.empty() && label != MoodLabel::neutral)
        line += ", because " + std::string(cause);
    return line + ".";
}

std::string mood_report_line(std::string_view companion_name, const Pad& pad, std::string_view cause_for_user) {
    const MoodLabel label = label_for(pad);
    std::string line = std::string(companion_name) + " feels " + std::string(mood_label_name(label)) + ".";
    // What last moved the mood, not a claim that it explains it: a companion can feel content
    // while comforting someone who is sad.
    if (!cause_for_user.empty() && label != MoodLabel::neutral)
        line += " Last moved when " + std::string(cause_for_user) + ".";
    return line;
}

SamplingAdjustment sampling_adjustment(const Pad& pad) {
    SamplingAdjustment out;
    out.temperature_delta = std::clamp(0.1 * pad.arousal + 0.05 * pad.pleasure, -0.15, 0.15);
    out.top_p_delta = std::clamp(0.05 * pad.arousal, -0.05, 0.05);
    return out;
}

ProsodyHints prosody_hints(const Pad& pad) {
    ProsodyHints out;
    out.rate = std::clamp(1.0 + 0.12 * pad.arousal + 0.03 * pad.pleasure, 0.85, 1.15);
    out.pitch_semitones = std::clamp(1.5 * pad.pleasure + 0.5 * pad.arousal, -2.0, 2.0);
    out.volume = std::clamp(1.0 + 0.1 * pad.arousal + 0.05 * pad.dominance, 0.85, 1.15);
    return out;
}

}  // namespace os1::affect
