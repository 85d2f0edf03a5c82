// The relationship between the companion and one user: closeness, trust and familiarity in
// [0, 1], and the stage they add up to (new, acquainted, friends, close). Talking often (days of
// contact count more than long sessions), self-disclosure, shared moments and warm messages
// build it; hostility erodes trust; after a grace period without contact it fades. The stage
// shapes the companion's tone through prompt_fragment(). Time is passed in. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "affect/appraisal.h"
#include "affect/mood.h"
#include "core/error.h"

namespace os1::affect {

enum class RelationshipStage { fresh, acquainted, friends, close };

// "new", "acquainted", "friends", "close"
std::string_view stage_name(RelationshipStage stage);

// What one user message says about the relationship.
struct InteractionSignals {
    double valence = 0.0;          // [-1, 1]
    double self_disclosure = 0.0;  // [0, 1]: how much the user shares about themselves
    bool shared_moment = false;    // laughter, joy or gratitude shared together
};

// Heuristics over the text (first-person feelings, confidences) and its appraisal.
InteractionSignals signals_for(std::string_view text, const Appraisal& appraisal);

struct RelationshipScores {
    double closeness = 0.0;
    double trust = 0.1;
    double familiarity = 0.0;
};

RelationshipStage stage_for(const RelationshipScores& scores);

struct RelationshipConfig {
    std::chrono::milliseconds grace = std::chrono::days(5);  // absence before anything fades
    std::chrono::milliseconds closeness_half_life = std::chrono::days(21);
    std::chrono::milliseconds trust_half_life = std::chrono::days(60);
    std::chrono::milliseconds familiarity_half_life = std::chrono::days(90);
};

class Relationship {
public:
    explicit Relationship(Timestamp now, RelationshipConfig config = {})
        : m_config(config), m_last_contact(now), m_faded_until(now) {}

    // Fades to `now`, then takes in one user message sent on the user's local day `day` (see
    // local-day.h); days of contact are counted in the user's calendar.
    void record(const InteractionSignals& signals, Timestamp now, int64_t day);
    // Applies the fading for any absence beyond the grace period up to `now`.
    void fade_to(Timestamp now);

    const RelationshipScores& scores() const { return m_scores; }
    RelationshipStage stage() const { return stage_for(m_scores); }
    Timestamp last_contact() const { return m_last_contact; }
    int64_t days_of_contact() const { return m_days_of_contact; }
    int64_t messages() const { return m_messages; }

    // How the stage should shape the companion's tone, for the system prompt.
    std::string prompt_fragment() const;

    nlohmann::json to_json() const;
    static ErrorOr<Relationship> from_json(const nlohmann::json& j, RelationshipConfig config = {});

private:
    RelationshipConfig m_config;
    RelationshipScores m_scores;
    Timestamp m_last_contact;
    Timestamp m_faded_until;
    int64_t m_day = -1;  // the user's local day of the last contact
    int64_t m_messages_today = 0;
    int64_t m_days_of_contact = 0;
    int64_t m_messages = 0;
};

}  // namespace os1::affect
