// The user's emotional trajectory: the average valence of their messages per local day, and
// what a friend would notice about it ("you've seemed down since Tuesday"). Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "affect/mood.h"
#include "core/error.h"

namespace os1::affect {

struct DayValence {
    int64_t day = 0;  // the user's local day (local-day.h)
    double valence_sum = 0.0;
    int64_t messages = 0;

    double average() const { return messages ? valence_sum / double(messages) : 0.0; }
};

class EmotionalTrajectory {
public:
    static constexpr std::size_t max_days = 400;

    // Adds one message's valence to the user's local day `day`.
    void record(double valence, int64_t day);

    // Days with messages, oldest first (at most max_days).
    const std::vector<DayValence>& days() const { return m_days; }

    // A change worth mentioning, judged over the last two weeks: at least two recent days of
    // contact clearly lower (or higher) than the days before them. "you've seemed down since
    // Tuesday", or nothing.
    // `today` is the user's local day now.
    std::optional<std::string> notice(int64_t today) const;

    nlohmann::json to_json() const;
    static ErrorOr<EmotionalTrajectory> from_json(const nlohmann::json& j);

private:
    std::vector<DayValence> m_days;
};

}  // namespace os1::affect
