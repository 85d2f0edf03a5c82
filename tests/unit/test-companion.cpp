// Unit tests of the companion's state in src/affect: personality drift, relationship stages,
// the user's emotional trajectory, the journal, mood expression, persistence, and six simulated
// months of conversation on an injected clock.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "affect/affect.h"
#include "affect/companion-state.h"
#include "support/temp-dir.h"
#include "support/us-pacific.h"

namespace {

using namespace os1;
using namespace os1::affect;
using namespace std::chrono_literals;

const Appraiser& appraiser() {
    static const Appraiser instance = [] {
        auto loaded = Appraiser::load(default_vader_lexicon_path());
        if (!loaded) {
            std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
            std::abort();
        }
        return loaded.release_value();
    }();
    return instance;
}

// 2026-01-05, a Monday, at midnight UTC.
const Timestamp start{std::chrono::sys_days{std::chrono::year{2026} / 1 / 5}.time_since_epoch()};
const int64_t start_day = std::chrono::sys_days{std::chrono::year{2026} / 1 / 5}.time_since_epoch().count();

// The tests below run in UTC unless they say otherwise, whatever the machine's zone.
const UtcOffset utc = fixed_utc_offset(std::chrono::seconds(0));

int64_t utc_day(Timestamp t) {
    return local_day(t, utc);
}

std::filesystem::path fresh_dir(const std::string& name) {
    return os1::test::unique_temp_dir("companion-" + name);
}

BigFive baseline() {
    BigFive b;
    b[Trait::openness] = 0.8;
    b[Trait::extraversion] = 0.6;
    b[Trait::agreeableness] = 0.7;
    b[Trait::neuroticism] = 0.3;
    return b;
}

const std::vector<std::string> kind_messages = {
    "Thank you so much, you really helped me today!",       "Honestly I feel so happy talking with you, haha",
    "My family loved the dinner I made, it was wonderful.", "You're great. I appreciate you a lot.",
    "I had a lovely walk and the weather was beautiful.",
};

const std::vector<std::string> sad_messages = {
    "I feel awful and sad today.",
    "Everything went wrong, I'm miserable.",
    "I'm so lonely and tired of all this.",
};

TEST(Personality, DriftIsBoundedAndLogged) {
    Personality p(baseline());
    std::vector<TraitChange> changes;
    for (int i = 0; i < 100; ++i) {
        if (auto c = p.nudge(Trait::extraversion, 0.5, "test push", 7, start))
            changes.push_back(*c);
    }
    EXPECT_NEAR(p.current()[Trait::extraversion], 0.75, 1e-9);
    ASSERT_FALSE(changes.empty());
    for (const auto& c : changes) {
        EXPECT_LE(c.to - c.from, 0.02 + 1e-12);
        EXPECT_EQ(c.reason, "test push");
        EXPECT_EQ(c.journal_entry, 7);
    }
    EXPECT_FALSE(p.nudge(Trait::extraversion, 0.01, "more", std::nullopt, start));
    EXPECT_FALSE(p.nudge(Trait::openness, std::nan(""), "nan", std::nullopt, start));

    auto restored = Personality::from_json(p.to_json());
    ASSERT_TRUE(restored);
    EXPECT_DOUBLE_EQ(restored->current()[Trait::extraversion], p.current()[Trait::extraversion]);
    EXPECT_DOUBLE_EQ(restored->baseline()[Trait::extraversion], 0.6);

    EXPECT_FALSE(big_five_from_json(nlohmann::json{{"openness", 2.0}}));
    auto parsed = big_five_from_json(nlohmann::json{{"openness", 0.9}});
    ASSERT_TRUE(parsed);
    EXPECT_DOUBLE_EQ(parsed.value()[Trait::openness], 0.9);
    EXPECT_DOUBLE_EQ(parsed.value()[Trait::neuroticism], 0.5);
}

TEST(Relationship, GrowsWithDailyWarmthAndFadesAfterGrace) {
    Relationship r(start);
    EXPECT_EQ(r.stage(), RelationshipStage::fresh);
    InteractionSignals warm{0.7, 0.4, true};
    for (int day = 0; day < 40; ++day) {
        for (int m = 0; m < 4; ++m) {
            const Timestamp t = start + std::chrono::days(day) + std::chrono::hours(18) + std::chrono::minutes(m);
            r.record(warm, t, utc_day(t));
        }
    }
    EXPECT_GE(r.stage(), RelationshipStage::friends);
    EXPECT_EQ(r.days_of_contact(), 40);
    const RelationshipScores before = r.scores();

    Relationship within_grace = r;
    within_grace.fade_to(r.last_contact() + std::chrono::days(4));
    EXPECT_DOUBLE_EQ(within_grace.scores().closeness, before.closeness);

    Relationship faded = r;
    faded.fade_to(r.last_contact() + std::chrono::days(5 + 21));
    EXPECT_NEAR(faded.scores().closeness, before.closeness / 2, 1e-9);
    EXPECT_LT(faded.scores().familiarity, before.familiarity);

    // Many messages on one day build less than the same number spread over days.
    Relationship binge(start), spread(start);
    for (int m = 0; m < 20; ++m) {
        binge.record(warm, start + std::chrono::minutes(m), utc_day(start + std::chrono::minutes(m)));
        spread.record(warm, start + std::chrono::days(m), utc_day(start + std::chrono::days(m)));
    }
    EXPECT_LT(binge.scores().familiarity, spread.scores().familiarity);

    // Hostility erodes trust.
    Relationship hostile = r;
    for (int m = 0; m < 10; ++m)
        hostile.record({-0.9, 0.0, false}, r.last_contact() + std::chrono::minutes(m + 1),
                       utc_day(r.last_contact() + std::chrono::minutes(m + 1)));
    EXPECT_LT(hostile.scores().trust, before.trust);

    auto restored = Relationship::from_json(r.to_json());
    ASSERT_TRUE(restored);
    EXPECT_DOUBLE_EQ(restored->scores().trust, r.scores().trust);
    EXPECT_EQ(restored->days_of_contact(), r.days_of_contact());
    EXPECT_FALSE(r.prompt_fragment().empty());
}

TEST(Relationship, SignalsFromText) {
    const auto confiding = signals_for("Honestly, I feel scared about my dad",
                                       appraiser().appraise("Honestly, I feel scared about my dad"));
    EXPECT_GE(confiding.self_disclosure, 0.5);
    const auto small_talk = signals_for("the weather", appraiser().appraise("the weather"));
    EXPECT_EQ(small_talk.self_disclosure, 0.0);
    EXPECT_TRUE(signals_for("haha that's great", appraiser().appraise("haha that's great")).shared_moment);
}

TEST(Trajectory, NoticesWhenTheUserSeemsDown) {
    EmotionalTrajectory t;
    // Monday to Thursday fine, then low from Friday 2026-01-09 on.
    for (int day = 0; day < 4; ++day)
        t.record(0.5, start_day + day);
    EXPECT_FALSE(t.notice(start_day + 3));
    for (int day = 4; day < 7; ++day) {
        t.record(-0.6, start_day + day);
        t.record(-0.4, start_day + day);
    }
    auto noticed = t.notice(start_day + 6);
    ASSERT_TRUE(noticed);
    EXPECT_EQ(*noticed, "you've seemed down since Friday");

    for (int day = 7; day < 10; ++day)
        t.record(0.7, start_day + day);
    auto brighter = t.notice(start_day + 9);
    ASSERT_TRUE(brighter);
    EXPECT_EQ(*brighter, "you've seemed brighter since Monday");

    // Weeks later there is nothing recent to notice.
    EXPECT_FALSE(t.notice(start_day + 60));

    auto restored = EmotionalTrajectory::from_json(t.to_json());
    ASSERT_TRUE(restored);
    EXPECT_EQ(restored->days().size(), t.days().size());
    EXPECT_FALSE(EmotionalTrajectory::from_json(nlohmann::json{{"x", 1}}));
}

TEST(MoodExpression, PromptLineSamplingAndProsody) {
    const Pad happy{0.6, 0.1, 0.2};
    EXPECT_EQ(mood_prompt_line(happy, "they thanked you"), "You feel happy, because they thanked you.");
    EXPECT_EQ(mood_prompt_line(Pad{}, ""), "You feel neutral.");
    EXPECT_EQ(mood_prompt_line(Pad{}, "they thanked you"), "You feel neutral.");
    const Pad excited{0.8, 0.9, 0.3};
    const Pad sad{-0.7, -0.6, -0.4};
    EXPECT_GT(sampling_adjustment(excited).temperature_delta, 0.0);
    EXPECT_LT(sampling_adjustment(sad).temperature_delta, 0.0);
    for (const Pad& p : {excited, sad, Pad{1, 1, 1}, Pad{-1, -1, -1}}) {
        const auto s = sampling_adjustment(p);
        EXPECT_LE(std::abs(s.temperature_delta), 0.15);
        const auto h = prosody_hints(p);
        EXPECT_GE(h.rate, 0.85);
        EXPECT_LE(h.rate, 1.15);
        EXPECT_LE(std::abs(h.pitch_semitones), 2.0);
    }
    EXPECT_GT(prosody_hints(excited).rate, prosody_hints(sad).rate);
    EXPECT_GT(prosody_hints(excited).pitch_semitones, prosody_hints(sad).pitch_semitones);
}

TEST(Journal, ReflectionSummarizesTheDay) {
    DayDigest d;
    d.day = 20463;  // 2026-01-10
    d.messages = 4;
    d.valence_sum = 2.4;
    d.disclosures = 1;
    d.shared_moments = 2;
    d.emotion_sums[std::size_t(Emotion::gratitude)] = 1.5;
    d.mood_label = "happy";
    d.before = {0.3, 0.3, 0.4};
    d.after = {0.4, 0.35, 0.5};
    const std::string text = compose_reflection(d);
    EXPECT_NE(text.find("2026-01-10: 4 messages"), std::string::npos) << text;
    EXPECT_NE(text.find("in good spirits"), std::string::npos) << text;
    EXPECT_NE(text.find("gratitude"), std::string::npos) << text;
    EXPECT_NE(text.find("acquainted -> friends"), std::string::npos) << text;
    auto restored = DayDigest::from_json(d.to_json());
    ASSERT_TRUE(restored);
    EXPECT_EQ(compose_reflection(restored.value()), text);
}

struct Simulation {
    Timestamp clock = start;
    std::filesystem::path dir;

    os1::ErrorOr<CompanionState> open() {
        return CompanionState::open(
            dir, baseline(), [this] { return clock; }, utc);
    }

    // One day of talk: `count` messages from `messages`, from 19:00 on.
    void talk(CompanionState& state, int day, const std::vector<std::string>& messages, int count) {
        for (int m = 0; m < count; ++m) {
            clock = start + std::chrono::days(day) + 19h + std::chrono::minutes(7 * m);
            const std::string& text = messages[std::size_t(m + day) % messages.size()];
            auto observed = state.observe_user_message(text, appraiser().appraise(text));
            ASSERT_TRUE(observed) << observed.error().message;
        }
    }
};

TEST(CompanionState, SixMonthsOfConversation) {
    Simulation sim;
    sim.dir = fresh_dir("six-months");
    auto opened = sim.open();
    ASSERT_TRUE(opened) << opened.error().message;
    CompanionState state = opened.release_value();
    EXPECT_EQ(state.relationship().stage(), RelationshipStage::fresh);
    const double resting_pleasure = state.mood_now().pleasure;

    // Two months of kind daily conversation.
    std::vector<RelationshipStage> stages;
    for (int day = 0; day < 60; ++day) {
        sim.talk(state, day, kind_messages, 5);
        stages.push_back(state.relationship().stage());
        if (day == 0) {
            EXPECT_GT(state.mood_now().pleasure, resting_pleasure + 0.1);
            EXPECT_NE(state.mood_cause(), "");
            EXPECT_EQ(state.moment_prompt_fragment().rfind("You feel ", 0), 0u) << state.moment_prompt_fragment();
        }
    }
    EXPECT_EQ(stages.front(), RelationshipStage::fresh);
    for (std::size_t i = 1; i < stages.size(); ++i)
        EXPECT_GE(stages[i], stages[i - 1]) << "day " << i;
    EXPECT_NE(std::find(stages.begin(), stages.end(), RelationshipStage::acquainted), stages.end());
    EXPECT_GE(stages.back(), RelationshipStage::friends);
    const RelationshipStage stage_before_absence = state.relationship().stage();
    const double closeness_before_absence = state.relationship().scores().closeness;
    EXPECT_TRUE(state.mood().label() == MoodLabel::happy || state.mood().label() == MoodLabel::excited)
        << mood_label_name(state.mood().label());

    // Ninety days of silence, across a restart: the relationship cools.
    sim.clock = start + std::chrono::days(150);
    {
        auto reopened = sim.open();
        ASSERT_TRUE(reopened) << reopened.error().message;
        state = reopened.release_value();
    }
    EXPECT_EQ(state.relationship().stage(), stage_before_absence);
    EXPECT_LT(state.relationship_now().stage(), stage_before_absence);
    EXPECT_LT(state.relationship_now().scores().closeness, closeness_before_absence / 4);
    // The mood has long since settled back to its resting point, and its cause is forgotten.
    EXPECT_NEAR(state.mood_now().pleasure, resting_pleasure, 0.01);
    EXPECT_EQ(state.mood_cause(), "");

    sim.talk(state, 150, kind_messages, 5);
    EXPECT_LT(state.relationship().stage(), stage_before_absence);
    const double closeness_on_return = state.relationship().scores().closeness;

    // A month back together: it recovers, day by day.
    double previous_closeness = closeness_on_return;
    for (int day = 151; day < 181; ++day) {
        sim.talk(state, day, kind_messages, 5);
        const double closeness = state.relationship().scores().closeness;
        EXPECT_GE(closeness, previous_closeness - 1e-9) << "day " << day;
        previous_closeness = closeness;
    }
    EXPECT_GE(state.relationship().stage(), RelationshipStage::friends);
    EXPECT_GT(state.relationship().scores().closeness, closeness_on_return + 0.2);
    EXPECT_TRUE(state.mood().label() == MoodLabel::happy || state.mood().label() == MoodLabel::excited)
        << mood_label_name(state.mood().label());

    // The last day is reflected once it is over.
    sim.clock = start + std::chrono::days(182);
    auto last = state.reflect_if_due();
    ASSERT_TRUE(last) << last.error().message;
    EXPECT_TRUE(last.value().has_value());
    auto again = state.reflect_if_due();
    ASSERT_TRUE(again);
    EXPECT_FALSE(again.value().has_value());

    auto journal = state.journal(1000);
    ASSERT_TRUE(journal) << journal.error().message;
    EXPECT_EQ(journal->size(), 91u);  // one entry per day of contact
    std::set<int64_t> entry_ids;
    for (const auto& e : journal.value())
        entry_ids.insert(e.id);
    EXPECT_NE(journal->back().text.find("2026-01-05: 5 messages"), std::string::npos) << journal->back().text;

    // Traits drifted, within bounds, each change with its reason and journal entry.
    const BigFive& now = state.personality().current();
    EXPECT_GT(now[Trait::extraversion], baseline()[Trait::extraversion]);
    // Months of warm days took extraversion as far as drift may go, and no further.
    EXPECT_NEAR(now[Trait::extraversion], baseline()[Trait::extraversion] + 0.15, 1e-9);
    for (Trait t : all_traits)
        EXPECT_LE(std::abs(now[t] - baseline()[t]), 0.15 + 1e-9) << trait_name(t);

    auto changes = state.changes(10000);
    ASSERT_TRUE(changes) << changes.error().message;
    int trait_changes = 0;
    std::vector<std::pair<std::string, std::string>> stage_changes;
    for (const auto& c : changes.value()) {
        EXPECT_FALSE(c.reason.empty());
        ASSERT_TRUE(c.journal_entry.has_value());
        EXPECT_TRUE(entry_ids.count(*c.journal_entry)) << *c.journal_entry;
        if (c.kind == "trait")
            ++trait_changes;
        if (c.kind == "relationship" && c.what == "stage")
            stage_changes.emplace_back(c.from, c.to);
    }
    EXPECT_GT(trait_changes, 0);
    std::reverse(stage_changes.begin(), stage_changes.end());
    ASSERT_GE(stage_changes.size(), 4u);
    EXPECT_EQ(stage_changes[0], (std::pair<std::string, std::string>{"new", "acquainted"}));
    EXPECT_EQ(stage_changes[1], (std::pair<std::string, std::string>{"acquainted", "friends"}));
    bool dropped = false;
    for (const auto& [from, to] : stage_changes)
        dropped |= (from == "friends" || from == "close") && (to == "acquainted" || to == "new");
    EXPECT_TRUE(dropped);
    // The silence left a trace in the temperament: more neurotic, citing the day they came back.
    bool silence_logged = false;
    for (const auto& c : changes.value()) {
        if (c.reason.find("days without talking") == std::string::npos)
            continue;
        silence_logged = true;
        EXPECT_EQ(c.what, "neuroticism");
        EXPECT_GT(std::stod(c.to), std::stod(c.from));
        EXPECT_NE(c.reason.find("91 days"), std::string::npos) << c.reason;
    }
    EXPECT_TRUE(silence_logged);
}

TEST(CompanionState, SadDaysLowerMoodAndAreNoticed) {
    Simulation sim;
    sim.dir = fresh_dir("sad-days");
    auto state = sim.open();
    ASSERT_TRUE(state);
    for (int day = 0; day < 4; ++day)
        sim.talk(state.value(), day, kind_messages, 3);
    const double happy_pleasure = state->mood_now().pleasure;
    for (int day = 4; day < 7; ++day)
        sim.talk(state.value(), day, sad_messages, 3);
    EXPECT_LT(state->mood_now().pleasure, happy_pleasure);
    EXPECT_NE(state->moment_prompt_fragment().find("you've seemed down since Friday"), std::string::npos)
        << state->moment_prompt_fragment();

    // The entry is the structured summary at once; a writer (the model, off the hot path) may
    // later replace the text through its own connection, and the summary stays beside it.
    sim.clock += std::chrono::days(1);
    auto id = state->reflect_if_due();
    ASSERT_TRUE(id && id.value());
    auto journal = state->journal(1);
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->front().author, JournalAuthor::summary);
    EXPECT_EQ(journal->front().text, journal->front().summary);
    EXPECT_NE(journal->front().summary.find("They seemed low"), std::string::npos) << journal->front().summary;
    {
        auto db = os1::Database::open(sim.dir / "os1.db");
        ASSERT_TRUE(db) << db.error().message;
        auto waiting = journal_entries_awaiting_writer(db.value(), 10);
        ASSERT_TRUE(waiting) << waiting.error().message;
        ASSERT_FALSE(waiting->empty());
        EXPECT_EQ(waiting->front().id, *id.value());
        ASSERT_TRUE(store_model_journal_text(db.value(), *id.value(), "A hard week for them. I want to be gentle."));
        EXPECT_FALSE(store_model_journal_text(db.value(), 999999, "no such entry"));
        auto after = journal_entries_awaiting_writer(db.value(), 10);
        ASSERT_TRUE(after);
        for (const auto& e : after.value())
            EXPECT_NE(e.id, *id.value());
    }
    journal = state->journal(1);
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->front().text, "A hard week for them. I want to be gentle.");
    EXPECT_EQ(journal->front().author, JournalAuthor::model);
    EXPECT_NE(journal->front().summary.find("They seemed low"), std::string::npos) << journal->front().summary;
    auto changes = state->changes(100);
    ASSERT_TRUE(changes);
    bool heavy = false;
    for (const auto& c : changes.value())
        heavy |= c.what == "neuroticism" && c.reason.find("a heavy day") != std::string::npos;
    EXPECT_TRUE(heavy);
}

const UtcOffset los_angeles = test::us_pacific;
const UtcOffset tokyo = fixed_utc_offset(std::chrono::hours(9));

int64_t civil_day(int y, unsigned m, unsigned d) {
    return std::chrono::sys_days{std::chrono::year{y} / m / d}.time_since_epoch().count();
}

// The instant when the wall clock in `zone` shows y-m-d hh:mm (no DST jump near it).
Timestamp wall_time(const UtcOffset& zone, int y, unsigned m, unsigned d, int hh, int mm) {
    const Timestamp as_utc{
        (std::chrono::sys_days{std::chrono::year{y} / m / d} + std::chrono::hours(hh) + std::chrono::minutes(mm))
            .time_since_epoch()};
    return as_utc - zone(as_utc - zone(as_utc));
}

TEST(LocalDay, FollowsTheZoneAcrossDaylightSaving) {
    {
        const Timestamp jan = wall_time(los_angeles, 2026, 1, 14, 23, 30);
        EXPECT_EQ(los_angeles(jan), -std::chrono::hours(8));
        EXPECT_EQ(los_angeles(wall_time(los_angeles, 2026, 7, 14, 12, 0)), -std::chrono::hours(7));  // daylight time
        EXPECT_EQ(local_day(jan, los_angeles), civil_day(2026, 1, 14));
        EXPECT_EQ(utc_day(jan), civil_day(2026, 1, 15));  // already tomorrow in UTC
        // Local midnight, including across the spring-forward night of 2026-03-08.
        const Timestamp utc_midnight{std::chrono::sys_days{std::chrono::year{2026} / 1 / 14}.time_since_epoch()};
        EXPECT_EQ(local_day_start(civil_day(2026, 1, 14), los_angeles), utc_midnight + std::chrono::hours(8));
        const Timestamp march9{std::chrono::sys_days{std::chrono::year{2026} / 3 / 9}.time_since_epoch()};
        EXPECT_EQ(local_day_start(civil_day(2026, 3, 8), los_angeles),
                  march9 - std::chrono::days(1) + std::chrono::hours(8));
        EXPECT_EQ(local_day_start(civil_day(2026, 3, 9), los_angeles), march9 + std::chrono::hours(7));
        // And across the fall-back night of 2026-11-01, a day of 25 hours.
        const Timestamp november2{std::chrono::sys_days{std::chrono::year{2026} / 11 / 2}.time_since_epoch()};
        EXPECT_EQ(local_day_start(civil_day(2026, 11, 1), los_angeles),
                  november2 - std::chrono::days(1) + std::chrono::hours(7));
        EXPECT_EQ(local_day_start(civil_day(2026, 11, 2), los_angeles), november2 + std::chrono::hours(8));
        EXPECT_EQ(local_day(november2 + std::chrono::hours(8) - std::chrono::milliseconds(1), los_angeles),
                  civil_day(2026, 11, 1));
    }
    {
        const Timestamp morning = wall_time(tokyo, 2026, 1, 15, 7, 0);
        EXPECT_EQ(tokyo(morning), std::chrono::hours(9));
        EXPECT_EQ(local_day(wall_time(tokyo, 2026, 1, 14, 23, 30), tokyo), civil_day(2026, 1, 14));
        EXPECT_EQ(local_day(morning, tokyo), civil_day(2026, 1, 15));
        EXPECT_EQ(utc_day(morning), civil_day(2026, 1, 14));  // still yesterday in UTC
    }
    // A zone with a half-hour offset keeps its minutes.
    const UtcOffset india = fixed_utc_offset(std::chrono::minutes(330));
    const Timestamp day_start = local_day_start(civil_day(2026, 1, 14), india);
    EXPECT_EQ(local_day(day_start, india), civil_day(2026, 1, 14));
    EXPECT_EQ(local_day(day_start - std::chrono::milliseconds(1), india), civil_day(2026, 1, 13));
}

// A message at 23:30 and the next one at breakfast fall on the same UTC day in both zones, but
// on two local days: the journal and the trajectory must see two days.
TEST(CompanionState, DaysFollowTheUsersLocalTime) {
    const std::tuple<const char*, const char*, UtcOffset> zones[] = {{"America/Los_Angeles", "la", los_angeles},
                                                                    {"Asia/Tokyo", "tokyo", tokyo}};
    for (const auto& [zone_name, short_name, zone] : zones) {
        SCOPED_TRACE(zone_name);
        Timestamp clock = wall_time(zone, 2026, 1, 14, 23, 30);
        const Timestamp breakfast = wall_time(zone, 2026, 1, 15, 7, 0);
        ASSERT_EQ(utc_day(clock), utc_day(breakfast));

        auto state = CompanionState::open(fresh_dir(std::string("local-days-") + short_name), baseline(),
                                          [&clock] { return clock; }, zone);
        ASSERT_TRUE(state) << state.error().message;
        const std::string late = "I had a wonderful evening with my family, thank you!";
        ASSERT_TRUE(state->observe_user_message(late, appraiser().appraise(late)));
        EXPECT_EQ(state->today(), civil_day(2026, 1, 14));

        clock = breakfast;
        const std::string early = "Good morning! I slept well.";
        ASSERT_TRUE(state->observe_user_message(early, appraiser().appraise(early)));
        auto journal = state->journal(10);
        ASSERT_TRUE(journal) << journal.error().message;
        ASSERT_EQ(journal->size(), 1u);  // the evening's local day is over, so it was reflected on
        EXPECT_EQ(day_text(journal->front().day), "2026-01-14");
        EXPECT_EQ(journal->front().digest.messages, 1);
        EXPECT_EQ(journal->front().text.rfind("2026-01-14: 1 message", 0), 0u) << journal->front().text;

        const auto& days = state->trajectory().days();
        ASSERT_EQ(days.size(), 2u);
        EXPECT_EQ(days[0].day, civil_day(2026, 1, 14));
        EXPECT_EQ(days[1].day, civil_day(2026, 1, 15));
        EXPECT_EQ(state->relationship().days_of_contact(), 2);
    }
}

TEST(CompanionState, CorruptStateIsAnError) {
    auto dir = fresh_dir("corrupt");
    {
        auto state = CompanionState::open(dir, baseline());
        ASSERT_TRUE(state);
        ASSERT_TRUE(state->save());
    }
    {
        auto db = os1::Database::open(dir / "os1.db");
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->exec("UPDATE companion_state SET state_json = '{\"mood\": 3}'"));
    }
    auto state = CompanionState::open(dir, baseline());
    ASSERT_FALSE(state);
    EXPECT_NE(state.error().message.find("companion_state: mood"), std::string::npos) << state.error().message;
}

}  // namespace
