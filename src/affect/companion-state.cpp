#include "affect/companion-state.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "core/secure-delete.h"

namespace os1::affect {

namespace {

using nlohmann::json;

const std::vector<Database::Migration> migrations = {
    {1, R"sql(
        CREATE TABLE companion_state (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            state_json TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE journal (
            id          INTEGER PRIMARY KEY,
            created_at  INTEGER NOT NULL,
            day         INTEGER NOT NULL,
            text        TEXT NOT NULL,
            digest_json TEXT NOT NULL
        );
        CREATE TABLE affect_changes (
            id         INTEGER PRIMARY KEY,
            created_at INTEGER NOT NULL,
            kind       TEXT NOT NULL CHECK (kind IN ('trait', 'relationship')),
            what       TEXT NOT NULL,
            from_value TEXT NOT NULL,
            to_value   TEXT NOT NULL,
            reason     TEXT NOT NULL,
            journal_id INTEGER REFERENCES journal(id)
        );
    )sql"},
    // The model may rewrite an entry after the fact (summary kept, author recorded), and model
    // appraisals are logged with what they did to the mood.
    {2, R"sql(
        ALTER TABLE journal ADD COLUMN summary TEXT;
        ALTER TABLE journal ADD COLUMN author TEXT NOT NULL DEFAULT 'summary' CHECK (author IN ('summary', 'model'));
        ALTER TABLE journal ADD COLUMN writer_tried INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE journal ADD COLUMN writer_note TEXT NOT NULL DEFAULT '';
        UPDATE journal SET summary = text, writer_tried = 1;
        CREATE TABLE model_appraisals (
            id              INTEGER PRIMARY KEY,
            created_at      INTEGER NOT NULL,
            message_at      INTEGER NOT NULL,
            status          TEXT NOT NULL CHECK (status IN ('blended', 'rejected', 'stale')),
            rule_json       TEXT NOT NULL DEFAULT '',
            model_json      TEXT NOT NULL DEFAULT '',
            blended_json    TEXT NOT NULL DEFAULT '',
            mood_delta_json TEXT NOT NULL DEFAULT '',
            note            TEXT NOT NULL DEFAULT ''
        );
    )sql"},
};

int64_t millis(Timestamp t) {
    return t.time_since_epoch().count();
}

Timestamp from_millis(int64_t ms) {
    return Timestamp(std::chrono::milliseconds(ms));
}

std::string number_text(double x) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4f", x);
    return buffer;
}

// What moved the mood, told to the user rather than to the model: each cause_for() text,
// addressed to the user.
constexpr std::pair<std::string_view, std::string_view> causes_for_user[] = {
    {"they shared something happy", "you shared something happy"},
    {"they seem sad", "you seemed sad"},
    {"they are angry", "you were angry"},
    {"they sound worried", "you sounded worried"},
    {"something surprising came up", "something surprising came up"},
    {"they were affectionate", "you were affectionate"},
    {"they feel lonely", "you seemed lonely"},
    {"they thanked you", "you said thank you"},
    {"the conversation is going well", "the conversation was going well"},
    {"the conversation turned unpleasant", "the conversation turned unpleasant"},
};

std::string cause_for(const Appraisal& a) {
    if (auto e = a.emotions.dominant(0.3)) {
        switch (*e) {
            case Emotion::joy:
                return "they shared something happy";
            case Emotion::sadness:
                return "they seem sad";
            case Emotion::anger:
                return "they are angry";
            case Emotion::fear:
                return "they sound worried";
            case Emotion::surprise:
                return "something surprising came up";
            case Emotion::affection:
                return "they were affectionate";
            case Emotion::loneliness:
                return "they feel lonely";
            case Emotion::gratitude:
                return "they thanked you";
        }
    }
    if (a.valence > 0.3)
        return "the conversation is going well";
    if (a.valence < -0.3)
        return "the conversation turned unpleasant";
    return {};
}

ErrorOr<void> insert_model_appraisal(Database& db, const ModelAppraisalRecord& r) {
    auto insert = OS1_TRY(
        db.prepare("INSERT INTO model_appraisals (created_at, message_at, status, rule_json, model_json, blended_json, "
                   "mood_delta_json, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    const json delta = {
        {"pleasure", r.mood_delta.pleasure}, {"arousal", r.mood_delta.arousal}, {"dominance", r.mood_delta.dominance}};
    return insert.bind(1, millis(r.at))
        .bind(2, millis(r.message_at))
        .bind(3, r.status)
        .bind(4, r.rule_json)
        .bind(5, r.model_json)
        .bind(6, r.blended_json)
        .bind(7, delta.dump())
        .bind(8, r.note)
        .run();
}

ErrorOr<void> insert_change(Database& db, const ChangeRecord& c) {
    auto insert = OS1_TRY(
        db.prepare("INSERT INTO affect_changes (created_at, kind, what, from_value, to_value, reason, journal_id) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    insert.bind(1, millis(c.at)).bind(2, c.kind).bind(3, c.what).bind(4, c.from).bind(5, c.to).bind(6, c.reason);
    if (c.journal_entry)
        insert.bind(7, *c.journal_entry);
    else
        insert.bind_null(7);
    return insert.run();
}

// Journal rows matching `where` (a fixed condition, never user input), newest first.
ErrorOr<std::vector<JournalEntry>> read_journal(Database& db, const char* where, int64_t limit) {
    auto query = OS1_TRY(db.prepare(std::string("SELECT id, created_at, day, text, digest_json, summary, author, "
                                                "writer_note FROM journal WHERE ") +
                                    where + " ORDER BY id DESC LIMIT ?"));
    query.bind(1, limit);
    std::vector<JournalEntry> out;
    while (OS1_TRY(query.step())) {
        JournalEntry e;
        e.id = query.column_int(0);
        e.at = from_millis(query.column_int(1));
        e.day = query.column_int(2);
        e.text = query.column_text(3);
        json digest = json::parse(query.column_text(4), nullptr, false);
        if (auto parsed = DayDigest::from_json(digest))
            e.digest = parsed.release_value();
        e.summary = query.column_is_null(5) ? e.text : query.column_text(5);
        e.author = query.column_text(6) == "model" ? JournalAuthor::model : JournalAuthor::summary;
        e.writer_note = query.column_text(7);
        out.push_back(std::move(e));
    }
    return out;
}

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}

// True when `db` holds the affect tables; they are then brought up to date, so that forgetting
// sees every column.
ErrorOr<bool> prepare_affect_tables(Database& db) {
    auto exists = OS1_TRY(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'journal'"));
    if (!OS1_TRY(exists.step()))
        return false;
    OS1_TRY(db.migrate("affect", migrations));
    return true;
}

}  // namespace

ErrorOr<CompanionState> CompanionState::open(const std::filesystem::path& user_dir, const BigFive& baseline,
                                             const Environment& env) {
    return attach(OS1_TRY(Database::open(user_dir / "os1.db", env)), baseline, env.clock, env.zone);
}

ErrorOr<CompanionState> CompanionState::open(const std::filesystem::path& user_dir, const BigFive& baseline,
                                             Clock clock, UtcOffset zone) {
    return open(user_dir, baseline, Environment{std::move(clock), std::move(zone), discard_log});
}

ErrorOr<CompanionState> CompanionState::attach(Database db, const BigFive& baseline, const Environment& env) {
    return attach(std::move(db), baseline, env.clock, env.zone);
}

ErrorOr<CompanionState> CompanionState::attach(Database db, const BigFive& baseline, Clock clock, UtcOffset zone) {
    OS1_TRY(db.migrate("affect", migrations));
    const Timestamp now = clock();
    CompanionState state(std::move(db), std::move(clock), std::move(zone), Mood(now), Personality(baseline),
                         Relationship(now));
    OS1_TRY(state.load());
    return state;
}

ErrorOr<void> CompanionState::load() {
    auto query = OS1_TRY(m_db.prepare("SELECT state_json FROM companion_state WHERE id = 1"));
    if (!OS1_TRY(query.step()))
        return {};
    const std::string where = m_db.path().string() + ": companion_state: ";
    json j = json::parse(query.column_text(0), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(where + "not a JSON object");
    auto mood = Mood::from_json(j.value("mood", json()).dump(), MoodConfig{});
    if (mood.is_error())
        return make_error(where + mood.error().message);
    auto personality = Personality::from_json(j.value("personality", json()));
    if (personality.is_error())
        return make_error(where + personality.error().message);
    auto relationship = Relationship::from_json(j.value("relationship", json()));
    if (relationship.is_error())
        return make_error(where + relationship.error().message);
    auto trajectory = EmotionalTrajectory::from_json(j.value("trajectory", json::array()));
    if (trajectory.is_error())
        return make_error(where + trajectory.error().message);
    if (j.contains("pending")) {
        auto pending = DayDigest::from_json(j["pending"]);
        if (pending.is_error())
            return make_error(where + pending.error().message);
        m_pending = pending.release_value();
    }
    m_mood = mood.release_value();
    m_personality = personality.release_value();
    m_relationship = relationship.release_value();
    m_trajectory = trajectory.release_value();
    if (auto s = j.find("snapshot"); s != j.end() && s->is_object())
        m_snapshot = {s->value("closeness", 0.0), s->value("trust", 0.1), s->value("familiarity", 0.0)};
    m_last_contact_day = j.value("last_contact_day", int64_t(-1));
    m_mood_cause = j.value("mood_cause", std::string());
    return {};
}

ErrorOr<void> CompanionState::save_state() {
    json j = {
        {"mood", json::parse(m_mood.to_json())},
        {"personality", m_personality.to_json()},
        {"relationship", m_relationship.to_json()},
        {"trajectory", m_trajectory.to_json()},
        {"pending", m_pending.to_json()},
        {"snapshot",
         {{"closeness", m_snapshot.closeness}, {"trust", m_snapshot.trust}, {"familiarity", m_snapshot.familiarity}}},
        {"last_contact_day", m_last_contact_day},
        {"mood_cause", m_mood_cause},
    };
    auto upsert = OS1_TRY(m_db.prepare(
        "INSERT INTO companion_state (id, state_json, updated_at) VALUES (1, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET state_json = excluded.state_json, updated_at = excluded.updated_at"));
    return upsert.bind(1, j.dump()).bind(2, millis(now())).run();
}

ErrorOr<void> CompanionState::save() {
    return in_transaction(m_db, [&] { return save_state(); });
}

ErrorOr<void> CompanionState::observe_user_message(std::string_view text, const Appraisal& appraisal) {
    const Timestamp t = now();
    OS1_TRY(reflect(t));
    const int64_t day = local_day(t, m_zone);
    if (m_pending.day != day) {
        m_pending = DayDigest{};
        m_pending.day = day;
        m_pending.days_since_previous = m_last_contact_day >= 0 ? day - m_last_contact_day : 0;
        m_pending.before = m_snapshot;
    }
    m_last_contact_day = day;

    m_last_observed = ObservedMessage{t, m_mood, appraisal};
    m_mood.apply(appraisal, t);
    if (std::string cause = cause_for(appraisal); !cause.empty())
        m_mood_cause = std::move(cause);
    const InteractionSignals signals = signals_for(text, appraisal);
    m_relationship.record(signals, t, day);
    m_trajectory.record(signals.valence, day);

    ++m_pending.messages;
    m_pending.valence_sum += signals.valence;
    m_pending.disclosures += signals.self_disclosure >= 0.3;
    m_pending.shared_moments += signals.shared_moment;
    for (Emotion e : all_emotions)
        m_pending.emotion_sums[std::size_t(e)] += appraisal.emotions[e];
    return save();
}

ErrorOr<std::optional<int64_t>> CompanionState::reflect_if_due() {
    return reflect(now());
}

ErrorOr<std::optional<int64_t>> CompanionState::reflect(Timestamp t) {
    if (m_pending.day < 0 || m_pending.messages == 0 || m_pending.day >= local_day(t, m_zone))
        return std::optional<int64_t>();

    DayDigest digest = m_pending;
    digest.after = m_relationship.scores();
    digest.mood_label = std::string(mood_label_name(m_mood.label()));
    const std::string text = compose_reflection(digest);

    Personality personality = m_personality;
    int64_t entry_id = 0;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        auto insert =
            OS1_TRY(m_db.prepare("INSERT INTO journal (created_at, day, text, digest_json, summary, author) "
                                 "VALUES (?, ?, ?, ?, ?, 'summary')"));
        OS1_TRY(insert.bind(1, millis(t))
                    .bind(2, digest.day)
                    .bind(3, text)
                    .bind(4, digest.to_json().dump())
                    .bind(5, text)
                    .run());
        entry_id = m_db.last_insert_id();
        const std::string day = day_text(digest.day);

        std::vector<TraitChange> traits;
        auto nudge = [&](Trait trait, double delta, std::string reason) {
            if (auto change = personality.nudge(trait, delta, std::move(reason), entry_id, t))
                traits.push_back(std::move(*change));
        };
        const double avg = digest.average_valence();
        char avg_text[16];
        std::snprintf(avg_text, sizeof avg_text, "%+.2f", avg);
        if (avg > 0.3 && digest.messages >= 3) {
            nudge(Trait::extraversion, 0.01, "a warm, talkative day on " + day + " (average valence " + avg_text + ")");
            nudge(Trait::agreeableness, 0.005, "kindness received on " + day);
        }
        if (avg < -0.3) {
            nudge(Trait::neuroticism, 0.01, "a heavy day on " + day + " (average valence " + avg_text + ")");
            nudge(Trait::extraversion, -0.005, "a heavy day on " + day);
        }
        if (digest.disclosures >= 2)
            nudge(Trait::openness, 0.005, "they shared a lot about themselves on " + day);
        if (digest.days_since_previous > 14)
            nudge(Trait::neuroticism, 0.01,
                  "a long silence: " + std::to_string(digest.days_since_previous) + " days without talking before " +
                      day);
        if (digest.shared_moments >= 2)
            nudge(Trait::neuroticism, -0.005, "good moments shared on " + day);
        for (const TraitChange& c : traits) {
            OS1_TRY(
                insert_change(m_db, ChangeRecord{0, c.at, "trait", std::string(trait_name(c.trait)),
                                                 number_text(c.from), number_text(c.to), c.reason, c.journal_entry}));
        }

        const RelationshipStage before = stage_for(digest.before);
        const RelationshipStage after = stage_for(digest.after);
        if (before != after) {
            std::string reason = after > before ? "we grew closer" : "we drifted apart";
            if (digest.days_since_previous > 5)
                reason += " after " + std::to_string(digest.days_since_previous) + " days apart";
            reason += " (reflection on " + day + ")";
            OS1_TRY(insert_change(m_db, ChangeRecord{0, t, "relationship", "stage", std::string(stage_name(before)),
                                                     std::string(stage_name(after)), reason, entry_id}));
        }
        const double closeness_shift = digest.after.closeness - digest.before.closeness;
        if (std::abs(closeness_shift) >= 0.05) {
            OS1_TRY(insert_change(m_db,
                                  ChangeRecord{0, t, "relationship", "closeness", number_text(digest.before.closeness),
                                               number_text(digest.after.closeness),
                                               std::string(closeness_shift > 0 ? "closer" : "more distant") +
                                                   " since the last reflection (on " + day + ")",
                                               entry_id}));
        }

        const Personality previous = m_personality;
        const DayDigest previous_pending = m_pending;
        const RelationshipScores previous_snapshot = m_snapshot;
        m_personality = personality;
        m_pending = DayDigest{};
        m_snapshot = digest.after;
        auto saved = save_state();
        if (saved.is_error()) {
            m_personality = previous;
            m_pending = previous_pending;
            m_snapshot = previous_snapshot;
        }
        return saved;
    }));
    return std::optional<int64_t>(entry_id);
}

std::string CompanionState::mood_cause() const {
    if (now() - m_mood.updated_at() > 2 * m_mood.config().half_life)
        return {};
    return m_mood_cause;
}

std::string CompanionState::mood_cause_for_user() const {
    const std::string cause = mood_cause();
    for (const auto& [for_model, for_user] : causes_for_user) {
        if (cause == for_model)
            return std::string(for_user);
    }
    return {};
}

Relationship CompanionState::relationship_now() const {
    Relationship r = m_relationship;
    r.fade_to(now());
    return r;
}

std::string CompanionState::standing_prompt_fragment() const {
    return relationship_now().prompt_fragment() + "\n" + m_personality.prompt_fragment();
}

std::string CompanionState::moment_prompt_fragment() const {
    std::string out = mood_prompt_line(mood_now(), mood_cause());
    if (auto seen = noticed())
        out += "\nYou have noticed that " + *seen + "; mention it gently if it fits.";
    return out;
}

ErrorOr<std::vector<JournalEntry>> CompanionState::journal(int64_t limit) {
    return read_journal(m_db, "1", limit);
}

ErrorOr<std::vector<JournalEntry>> journal_entries_awaiting_writer(Database& db, int64_t limit) {
    return read_journal(db, "author = 'summary' AND writer_tried = 0", limit);
}

ErrorOr<void> store_model_journal_text(Database& db, int64_t entry_id, std::string_view text) {
    auto update = OS1_TRY(
        db.prepare("UPDATE journal SET text = ?, author = 'model', writer_tried = 1, writer_note = '' WHERE id = ?"));
    OS1_TRY(update.bind(1, std::string(text)).bind(2, entry_id).run());
    if (sqlite3_changes(db.handle()) != 1)
        return make_error("journal: no entry " + std::to_string(entry_id));
    return {};
}

ErrorOr<void> note_journal_writer_failure(Database& db, int64_t entry_id, std::string_view why) {
    auto update = OS1_TRY(db.prepare("UPDATE journal SET writer_tried = 1, writer_note = ? WHERE id = ?"));
    OS1_TRY(update.bind(1, std::string(why)).bind(2, entry_id).run());
    if (sqlite3_changes(db.handle()) != 1)
        return make_error("journal: no entry " + std::to_string(entry_id));
    return {};
}

ErrorOr<std::vector<int64_t>> redact_journal(Database& db, const std::vector<ForgottenText>& forgotten,
                                             const UtcOffset& zone) {
    std::vector<int64_t> changed;
    if (!OS1_TRY(prepare_affect_tables(db)))
        return changed;
    std::set<int64_t> days;
    std::vector<std::string> quotes;
    for (const ForgottenText& f : forgotten) {
        days.insert(local_day(from_unix_seconds(f.time), zone));
        std::string quote = ascii_lower(f.text);
        if (quote.find_first_not_of(" \t\r\n") != std::string::npos)
            quotes.push_back(std::move(quote));
    }
    auto quotes_one = [&](const std::string& text) {
        const std::string lower = ascii_lower(text);
        return std::any_of(quotes.begin(), quotes.end(),
                           [&](const std::string& q) { return lower.find(q) != std::string::npos; });
    };

    OS1_TRY(overwrite_deleted_content(db));
    OS1_TRY(in_transaction(db, [&]() -> ErrorOr<void> {
        for (const JournalEntry& entry : OS1_TRY(read_journal(db, "1", -1))) {
            std::string text = entry.text;
            std::string summary = entry.summary;
            JournalAuthor author = entry.author;
            std::string note = entry.writer_note;
            if (author == JournalAuthor::model && (days.contains(entry.day) || quotes_one(text))) {
                text = summary;
                author = JournalAuthor::summary;
                note = "the model's entry was withdrawn: it drew on a memory that was forgotten";
            }
            if (quotes_one(summary)) {
                summary = entry.digest.day >= 0
                              ? compose_reflection(entry.digest)
                              : day_text(entry.day) + ": withdrawn, it quoted a memory that was forgotten.";
                if (author == JournalAuthor::summary)
                    text = summary;
            }
            if (text == entry.text && summary == entry.summary && author == entry.author)
                continue;
            auto update =
                OS1_TRY(db.prepare("UPDATE journal SET text = ?, summary = ?, author = ?, writer_tried = 1, "
                                   "writer_note = ? WHERE id = ?"));
            OS1_TRY(update.bind(1, text)
                        .bind(2, summary)
                        .bind(3, journal_author_name(author))
                        .bind(4, note)
                        .bind(5, entry.id)
                        .run());
            changed.push_back(entry.id);
        }
        return {};
    }));
    std::sort(changed.begin(), changed.end());
    if (!changed.empty())
        (void)OS1_TRY(checkpoint_and_truncate_wal(db));
    return changed;
}

ErrorOr<void> erase_journal(Database& db) {
    if (!OS1_TRY(prepare_affect_tables(db)))
        return {};
    OS1_TRY(overwrite_deleted_content(db));
    OS1_TRY(in_transaction(db, [&]() -> ErrorOr<void> {
        // The change log first: it cites the entries.
        return db.exec("DELETE FROM affect_changes; DELETE FROM journal; DELETE FROM model_appraisals;");
    }));
    (void)OS1_TRY(checkpoint_and_truncate_wal(db));
    return {};
}

ErrorOr<std::optional<Appraisal>> CompanionState::apply_model_appraisal(Timestamp message_at, const Appraisal& model,
                                                                        const BlendWeights& weights) {
    ModelAppraisalRecord record;
    record.at = now();
    record.message_at = message_at;
    record.model_json = appraisal_to_json(model);
    if (!m_last_observed || m_last_observed->at != message_at) {
        record.status = "stale";
        record.note = "a newer message was appraised first; the mood has moved on";
        OS1_TRY(insert_model_appraisal(m_db, record));
        return std::optional<Appraisal>();
    }
    const ObservedMessage& seen = *m_last_observed;
    const Appraisal blended = blend_appraisals(seen.rule, model, weights);
    Mood by_rules = seen.mood_before;
    by_rules.apply(seen.rule, seen.at);
    Mood by_blend = seen.mood_before;
    by_blend.apply(blended, seen.at);
    const Pad delta{by_blend.pad().pleasure - by_rules.pad().pleasure, by_blend.pad().arousal - by_rules.pad().arousal,
                    by_blend.pad().dominance - by_rules.pad().dominance};
    record.status = "blended";
    record.rule_json = appraisal_to_json(seen.rule);
    record.blended_json = appraisal_to_json(blended);
    record.mood_delta = delta;
    char note[128];
    std::snprintf(note, sizeof note, "mood corrected by pleasure %+.3f, arousal %+.3f, dominance %+.3f", delta.pleasure,
                  delta.arousal, delta.dominance);
    record.note = note;

    const Mood previous = m_mood;
    m_mood.shift(delta, seen.at, record.at);
    auto saved = in_transaction(m_db, [&]() -> ErrorOr<void> {
        OS1_TRY(insert_model_appraisal(m_db, record));
        return save_state();
    });
    if (saved.is_error()) {
        m_mood = previous;
        return saved.release_error();
    }
    return std::optional<Appraisal>(blended);
}

ErrorOr<void> CompanionState::record_model_appraisal_rejection(Timestamp message_at, std::string_view why) {
    ModelAppraisalRecord record;
    record.at = now();
    record.message_at = message_at;
    record.status = "rejected";
    if (m_last_observed && m_last_observed->at == message_at)
        record.rule_json = appraisal_to_json(m_last_observed->rule);
    record.note = std::string(why);
    return insert_model_appraisal(m_db, record);
}

ErrorOr<std::vector<ModelAppraisalRecord>> CompanionState::model_appraisals(int64_t limit) {
    auto query = OS1_TRY(
        m_db.prepare("SELECT id, created_at, message_at, status, rule_json, model_json, blended_json, mood_delta_json, "
                     "note FROM model_appraisals ORDER BY id DESC LIMIT ?"));
    query.bind(1, limit);
    std::vector<ModelAppraisalRecord> out;
    while (OS1_TRY(query.step())) {
        ModelAppraisalRecord r;
        r.id = query.column_int(0);
        r.at = from_millis(query.column_int(1));
        r.message_at = from_millis(query.column_int(2));
        r.status = query.column_text(3);
        r.rule_json = query.column_text(4);
        r.model_json = query.column_text(5);
        r.blended_json = query.column_text(6);
        const json delta = json::parse(query.column_text(7), nullptr, false);
        if (delta.is_object())
            r.mood_delta = {delta.value("pleasure", 0.0), delta.value("arousal", 0.0), delta.value("dominance", 0.0)};
        r.note = query.column_text(8);
        out.push_back(std::move(r));
    }
    return out;
}

ErrorOr<std::vector<ChangeRecord>> CompanionState::changes(int64_t limit) {
    auto query = OS1_TRY(
        m_db.prepare("SELECT id, created_at, kind, what, from_value, to_value, reason, journal_id FROM affect_changes "
                     "ORDER BY id DESC LIMIT ?"));
    query.bind(1, limit);
    std::vector<ChangeRecord> out;
    while (OS1_TRY(query.step())) {
        ChangeRecord c;
        c.id = query.column_int(0);
        c.at = from_millis(query.column_int(1));
        c.kind = query.column_text(2);
        c.what = query.column_text(3);
        c.from = query.column_text(4);
        c.to = query.column_text(5);
        c.reason = query.column_text(6);
        if (!query.column_is_null(7))
            c.journal_entry = query.column_int(7);
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace os1::affect
