// The companion's journal: one self-reflection per day of contact. Without a model the entry
// is a structured summary of the day (the user's messages and mood, the companion's mood, how
// the relationship moved); a writer can turn that summary into prose.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "affect/appraisal.h"
#include "affect/mood.h"
#include "affect/relationship.h"
#include "core/error.h"

namespace os1::affect {

// What happened on one day, gathered message by message.
struct DayDigest {
    int64_t day = -1;  // days since the Unix epoch; -1: nothing gathered
    int64_t messages = 0;
    double valence_sum = 0.0;
    int64_t disclosures = 0;  // messages with notable self-disclosure
    int64_t shared_moments = 0;
    std::array<double, emotion_count> emotion_sums{};
    int64_t days_since_previous = 0;  // days between the previous day of contact and this one
    std::string mood_label;           // the companion's mood at the end of the day
    RelationshipScores before;
    RelationshipScores after;

    double average_valence() const { return messages ? valence_sum / double(messages) : 0.0; }
    std::optional<Emotion> strongest_emotion() const;

    nlohmann::json to_json() const;
    static ErrorOr<DayDigest> from_json(const nlohmann::json& j);
};

// "2026-03-04" for a day number.
std::string day_text(int64_t day);

// The model-free reflection: a short structured summary of the digest.
std::string compose_reflection(const DayDigest& digest);

// Turns the structured summary into the entry's text; nothing keeps the summary as the entry.
using ReflectionWriter = std::function<std::optional<std::string>(const std::string& summary)>;

struct JournalEntry {
    int64_t id = 0;
    Timestamp at;
    int64_t day = 0;
    std::string text;
    DayDigest digest;
};

}  // namespace os1::affect
