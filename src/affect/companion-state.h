// Everything the companion feels and remembers about one user, persisted in that user's os1.db
// (component "affect"): the PAD mood, the personality, the relationship, the user's emotional
// trajectory, and the journal with a log of every personality and relationship change, each
// citing the journal entry that caused it. The clock is injected, so months can be simulated.
// Not thread-safe: one CompanionState per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "affect/appraisal.h"
#include "affect/journal.h"
#include "affect/mood-expression.h"
#include "affect/mood.h"
#include "affect/personality.h"
#include "affect/relationship.h"
#include "affect/trajectory.h"
#include "core/database.h"

namespace os1::affect {

using Clock = std::function<Timestamp()>;

// The wall clock, in milliseconds.
Timestamp system_now();

// One logged change of a trait or of the relationship.
struct ChangeRecord {
    int64_t id = 0;
    Timestamp at;
    std::string kind;  // "trait" or "relationship"
    std::string what;  // the trait name, or "stage" / "closeness"
    std::string from;
    std::string to;
    std::string reason;
    std::optional<int64_t> journal_entry;
};

class CompanionState {
public:
    // Opens <user_dir>/os1.db, migrates the affect tables and loads the stored state, or starts
    // fresh with the persona's Big Five `baseline`.
    static ErrorOr<CompanionState> open(const std::filesystem::path& user_dir, const BigFive& baseline,
                                        Clock clock = system_now);
    static ErrorOr<CompanionState> attach(Database db, const BigFive& baseline, Clock clock = system_now);

    // Takes in one user message: first reflects on any earlier day not yet in the journal, then
    // moves the mood, the relationship and the trajectory, and saves.
    ErrorOr<void> observe_user_message(std::string_view text, const Appraisal& appraisal);

    // Writes the journal entry for the last day of contact once that day is over, drifts the
    // personality and logs relationship changes, citing the entry. Returns the entry id, or
    // nothing when no finished day is waiting.
    ErrorOr<std::optional<int64_t>> reflect_if_due();

    // Turns the structured day summary into prose (for example with a model).
    void set_reflection_writer(ReflectionWriter writer) { m_writer = std::move(writer); }

    Timestamp now() const { return m_clock(); }
    const Mood& mood() const { return m_mood; }
    Pad mood_now() const { return m_mood.pad_at(now()); }
    // What last moved the mood; empty once two half-lives have passed since then.
    std::string mood_cause() const;
    const Personality& personality() const { return m_personality; }
    const Relationship& relationship() const { return m_relationship; }
    // The relationship as it stands now, after any fading since the last contact.
    Relationship relationship_now() const;
    const EmotionalTrajectory& trajectory() const { return m_trajectory; }

    // The mood line, the relationship's tone, the temperament and any noticed trajectory.
    std::string prompt_fragment() const;
    SamplingAdjustment sampling() const { return sampling_adjustment(mood_now()); }
    ProsodyHints prosody() const { return prosody_hints(mood_now()); }

    // Newest first.
    ErrorOr<std::vector<JournalEntry>> journal(int64_t limit);
    ErrorOr<std::vector<ChangeRecord>> changes(int64_t limit);

    ErrorOr<void> save();

private:
    CompanionState(Database db, Clock clock, Mood mood, Personality personality, Relationship relationship)
        : m_db(std::move(db)),
          m_clock(std::move(clock)),
          m_mood(std::move(mood)),
          m_personality(std::move(personality)),
          m_relationship(std::move(relationship)) {}

    ErrorOr<void> load();
    ErrorOr<void> save_state();
    ErrorOr<std::optional<int64_t>> reflect(Timestamp now);

    Database m_db;
    Clock m_clock;
    Mood m_mood;
    Personality m_personality;
    Relationship m_relationship;
    EmotionalTrajectory m_trajectory;
    DayDigest m_pending;
    RelationshipScores m_snapshot;  // the relationship at the last reflection
    int64_t m_last_contact_day = -1;
    std::string m_mood_cause;
    ReflectionWriter m_writer;
};

}  // namespace os1::affect
