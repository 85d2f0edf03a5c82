// The companion's own mood as a point in PAD space (pleasure, arousal, dominance; Mehrabian &
// Russell), each in [-1, 1]. Appraised messages push it; between them it decays exponentially
// toward a baseline. Time is always passed in, never read from a clock, so behaviour is
// reproducible and testable. Not thread-safe: one owner per mood.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "affect/appraisal.h"
#include "core/clock.h"
#include "core/error.h"

namespace os1::affect {

using os1::Timestamp;

struct Pad {
    double pleasure = 0.0;
    double arousal = 0.0;
    double dominance = 0.0;
};

enum class MoodLabel { neutral, happy, excited, content, calm, sad, bored, anxious, irritated };

// "neutral", "happy", ...
std::string_view mood_label_name(MoodLabel label);

// The discrete label of a PAD point: near the origin "neutral"; otherwise pleasure and arousal
// pick the region, and dominance separates hostile (irritated) from fearful (anxious) distress
// and disdainful (bored) from helpless (sad) low-energy states.
MoodLabel label_for(const Pad& pad);

struct MoodConfig {
    Pad baseline{0.1, 0.0, 0.1};  // a slightly positive, composed resting temperament
    std::chrono::milliseconds half_life = std::chrono::minutes(30);
    double sensitivity = 0.35;  // the share of the way to an appraisal's target a full-strength message moves the mood
};

// Checks that the baseline lies in [-1, 1], the half-life is positive and the sensitivity is in
// [0, 1].
ErrorOr<void> validate(const MoodConfig& config);

class Mood {
public:
    // Starts at the default baseline at time `now`.
    explicit Mood(Timestamp now) : Mood(MoodConfig{}, now) {}

    // Starts at `config.baseline`; fails when the config does not validate.
    static ErrorOr<Mood> create(const MoodConfig& config, Timestamp now);

    // Decays to `now`, then moves part of the way toward the mood this appraisal evokes; how far
    // depends on how emotional the message is and on the sensitivity. The result stays in range.
    void apply(const Appraisal& appraisal, Timestamp now);

    // Decays toward the baseline until `now`: after one half-life the distance to the baseline
    // has halved. A `now` earlier than the last update changes nothing.
    void decay_to(Timestamp now);

    // A late correction: adds `delta` as if it had been added at `since`, so it has faded by
    // `now` exactly as a push at `since` would have. The result stays in range.
    void shift(const Pad& delta, Timestamp since, Timestamp now);

    const Pad& pad() const { return m_pad; }
    MoodLabel label() const { return label_for(m_pad); }
    Timestamp updated_at() const { return m_updated_at; }
    const MoodConfig& config() const { return m_config; }

    // What the mood will be at `now` if nothing happens before then.
    Pad pad_at(Timestamp now) const;

    // {"pleasure", "arousal", "dominance", "updated_at_ms", "label"}; the config is not stored.
    std::string to_json() const;
    // Restores a mood written by to_json under `config`; "label" is ignored.
    static ErrorOr<Mood> from_json(std::string_view json, const MoodConfig& config);

private:
    Mood(const MoodConfig& config, Timestamp now) : m_config(config), m_pad(config.baseline), m_updated_at(now) {}

    MoodConfig m_config;
    Pad m_pad;
    Timestamp m_updated_at;
};

}  // namespace os1::affect
