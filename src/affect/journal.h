// The companion's journal: one self-reflection per day of contact (the user's local day). The
// entry is first a structured summary of the day (the user's messages and mood, the companion's
// mood, how the relationship moved), written at once; when a model is loaded, the companion
// later asks it for the entry in prose, grounded in the summary and that day's memories, off the
// hot path (src/companion/journal-writer.h). The summary is kept either way.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

// Who wrote an entry's text: the structured summary itself, or the model.
enum class JournalAuthor { summary, model };
std::string_view journal_author_name(JournalAuthor author);  // "summary", "model"

struct JournalEntry {
    int64_t id = 0;
    Timestamp at;
    int64_t day = 0;  // the user's local day
    std::string text;
    std::string summary;  // the structured summary, also when the model wrote `text`
    JournalAuthor author = JournalAuthor::summary;
    std::string writer_note;  // why the model's entry is not the text, when it was asked and failed
    DayDigest digest;
};

}  // namespace os1::affect
