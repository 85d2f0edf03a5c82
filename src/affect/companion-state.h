// Everything the companion feels and remembers about one user, persisted in that user's os1.db
// (component "affect"): the PAD mood, the personality, the relationship, the user's emotional
// trajectory, and the journal with a log of every personality and relationship change, each
// citing the journal entry that caused it. The clock and the user's time zone are injected, so
// months can be simulated in any zone; days (journal, trajectory, days of contact) are the
// user's local days.
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
#include "core/local-day.h"
#include "affect/model-appraisal.h"
#include "affect/mood-expression.h"
#include "affect/mood.h"
#include "affect/personality.h"
#include "affect/relationship.h"
#include "affect/trajectory.h"
#include "core/database.h"
#include "core/environment.h"

namespace os1::affect {

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

// The user message observed last, as the rule appraisal saw it; a late model appraisal of the
// same message is measured against it.
struct ObservedMessage {
    Timestamp at;
    Mood mood_before;
    Appraisal rule;
};

// One model appraisal and what became of it: "blended" (the mood was corrected), "rejected"
// (the reply failed validation or the model failed) or "stale" (a newer message came first).
struct ModelAppraisalRecord {
    int64_t id = 0;
    Timestamp at;
    Timestamp message_at;
    std::string status;
    std::string rule_json;     // empty when unknown
    std::string model_json;    // the validated model appraisal; empty when rejected
    std::string blended_json;  // empty unless blended
    Pad mood_delta;            // the correction the blend made to the mood at the message's time
    std::string note;          // the rejection, or what was done
};

// Off-the-hot-path journal writing (any thread, its own connection to the user's os1.db, after
// CompanionState has migrated it). Entries whose text is still the summary and that no writer
// has tried yet, newest first.
ErrorOr<std::vector<JournalEntry>> journal_entries_awaiting_writer(Database& db, int64_t limit);
// Makes `text` the entry's text, written by the model; the summary stays beside it.
ErrorOr<void> store_model_journal_text(Database& db, int64_t entry_id, std::string_view text);
// Records why the model's entry could not be used; the entry keeps the summary as its text.
ErrorOr<void> note_journal_writer_failure(Database& db, int64_t entry_id, std::string_view why);

// Forgetting reaches the journal (memory::MemoryStore::forget says what forgetting means; the
// caller hands its report over, so that affect and memory never include each other). These take
// any connection to the user's os1.db, do nothing before the affect tables exist, and overwrite
// the old text on disk.
//
// A text the user had os1 forget, and when it was said or stored (unix seconds).
struct ForgottenText {
    std::string text;
    int64_t time = 0;
};
// An entry the model wrote for a local day (in `zone`) on which a forgotten text was said or
// stored, or any entry whose text quotes one (ignoring ASCII case), gets its structured summary
// back as its text: the model wrote from that day's memories and may paraphrase what it does not
// quote, while the summary holds only counts and scores, never the user's words. The writer does
// not try the entry again; writer_note says why. A summary that quotes one anyway (written by an
// older build) is composed again from the entry's digest. Returns the ids changed, ascending.
ErrorOr<std::vector<int64_t>> redact_journal(Database& db, const std::vector<ForgottenText>& forgotten,
                                             const UtcOffset& zone);
// Forgetting everything: deletes every journal entry, the change log that cites them, and the
// log of model appraisals of the user's messages. The mood, personality and relationship are
// the companion's own and stay. Call it before memory::MemoryStore::forget_all, whose VACUUM
// then wipes what it freed.
ErrorOr<void> erase_journal(Database& db);

class CompanionState {
public:
    // Opens <user_dir>/os1.db, migrates the affect tables and loads the stored state, or starts
    // fresh with the persona's Big Five `baseline`.
    // The state keeps env's clock and zone; the database is opened with `env`.
    static ErrorOr<CompanionState> open(const std::filesystem::path& user_dir, const BigFive& baseline,
                                        const Environment& env);
    static ErrorOr<CompanionState> open(const std::filesystem::path& user_dir, const BigFive& baseline,
                                        Clock clock = system_now, UtcOffset zone = system_utc_offset);
    static ErrorOr<CompanionState> attach(Database db, const BigFive& baseline, const Environment& env);
    static ErrorOr<CompanionState> attach(Database db, const BigFive& baseline, Clock clock = system_now,
                                          UtcOffset zone = system_utc_offset);

    // Takes in one user message: first reflects on any earlier day not yet in the journal, then
    // moves the mood, the relationship and the trajectory, and saves.
    ErrorOr<void> observe_user_message(std::string_view text, const Appraisal& appraisal);

    // Writes the journal entry (the structured summary) for the last day of contact once that
    // local day is over, drifts the personality and logs relationship changes, citing the entry.
    // Returns the entry id, or nothing when no finished day is waiting. Never calls a model.
    ErrorOr<std::optional<int64_t>> reflect_if_due();

    // The last user message observed in this session, if any.
    const std::optional<ObservedMessage>& last_observed() const { return m_last_observed; }

    // Takes in the model's (validated) appraisal of the message observed at `message_at`: blends
    // it with the rule appraisal and corrects the mood by the difference the blend makes, i.e.
    // by (mood after the blend) - (mood after the rules), both from the mood before that
    // message, faded since then like any push; logs it and saves. When that message is no longer
    // the last observed one, the mood has moved on: it is only logged, as stale. Returns the
    // blend, or nothing when stale.
    ErrorOr<std::optional<Appraisal>> apply_model_appraisal(Timestamp message_at, const Appraisal& model,
                                                            const BlendWeights& weights = {});
    // Logs that the model's appraisal of the message at `message_at` was rejected, and why.
    ErrorOr<void> record_model_appraisal_rejection(Timestamp message_at, std::string_view why);
    // Newest first.
    ErrorOr<std::vector<ModelAppraisalRecord>> model_appraisals(int64_t limit);

    Timestamp now() const { return m_clock(); }
    // The user's local day now.
    int64_t today() const { return local_day(now(), m_zone); }
    const UtcOffset& zone() const { return m_zone; }
    const Mood& mood() const { return m_mood; }
    Pad mood_now() const { return m_mood.pad_at(now()); }
    // What last moved the mood; empty once two half-lives have passed since then.
    std::string mood_cause() const;
    // The same, addressed to the user ("you seemed lonely"); empty when there is none.
    std::string mood_cause_for_user() const;
    const Personality& personality() const { return m_personality; }
    const Relationship& relationship() const { return m_relationship; }
    // The relationship as it stands now, after any fading since the last contact.
    Relationship relationship_now() const;
    const EmotionalTrajectory& trajectory() const { return m_trajectory; }
    // What a friend would notice about the user's recent days ("you've seemed down since Tuesday").
    std::optional<std::string> noticed() const { return m_trajectory.notice(today()); }

    // What the prompt says of the companion that changes slowly: the relationship's tone and
    // the temperament. It sits in the stable part of the prompt, whose cache is kept.
    std::string standing_prompt_fragment() const;
    // What changes from message to message: the mood line and any noticed trajectory.
    std::string moment_prompt_fragment() const;
    SamplingAdjustment sampling() const { return sampling_adjustment(mood_now()); }
    ProsodyHints prosody() const { return prosody_hints(mood_now()); }

    // Newest first.
    ErrorOr<std::vector<JournalEntry>> journal(int64_t limit);
    ErrorOr<std::vector<ChangeRecord>> changes(int64_t limit);

    ErrorOr<void> save();

private:
    CompanionState(Database db, Clock clock, UtcOffset zone, Mood mood, Personality personality,
                   Relationship relationship)
        : m_db(std::move(db)),
          m_clock(std::move(clock)),
          m_zone(std::move(zone)),
          m_mood(std::move(mood)),
          m_personality(std::move(personality)),
          m_relationship(std::move(relationship)) {}

    ErrorOr<void> load();
    ErrorOr<void> save_state();
    ErrorOr<std::optional<int64_t>> reflect(Timestamp now);

    Database m_db;
    Clock m_clock;
    UtcOffset m_zone;
    Mood m_mood;
    Personality m_personality;
    Relationship m_relationship;
    EmotionalTrajectory m_trajectory;
    DayDigest m_pending;
    RelationshipScores m_snapshot;  // the relationship at the last reflection
    int64_t m_last_contact_day = -1;
    std::string m_mood_cause;
    std::optional<ObservedMessage> m_last_observed;  // not persisted: late appraisals die with the session
};

}  // namespace os1::affect
