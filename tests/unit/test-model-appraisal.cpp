// The model's appraisal of a message: strict validation of its JSON, the grammar that asks for
// it, the blend with the rule appraisal, and the mood correction the blend makes.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "affect/affect.h"
#include "affect/companion-state.h"
#include "affect/model-appraisal.h"
#include "support/temp-dir.h"

namespace {

using namespace os1;
using namespace os1::affect;
using namespace std::chrono_literals;

const char* const sad_reply =
    R"({"valence":-0.6,"arousal":0.7,"emotions":{"joy":0,"sadness":0.8,"anger":0.1,"fear":0,"surprise":0,)"
    R"("affection":0,"loneliness":0.5,"gratitude":0}})";

TEST(ModelAppraisal, AcceptsAWellFormedReply) {
    auto parsed = parse_model_appraisal(sad_reply);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_DOUBLE_EQ(parsed->valence, -0.6);
    EXPECT_DOUBLE_EQ(parsed->arousal, 0.7);
    EXPECT_DOUBLE_EQ(parsed->emotions[Emotion::sadness], 0.8);
    EXPECT_DOUBLE_EQ(parsed->emotions[Emotion::loneliness], 0.5);
    EXPECT_DOUBLE_EQ(parsed->emotions[Emotion::joy], 0.0);
    EXPECT_DOUBLE_EQ(parsed->compound, 0.0);

    // Emotions the model leaves out count as absent.
    auto sparse = parse_model_appraisal(R"({"valence":0.5,"arousal":0.2,"emotions":{"joy":0.9}})");
    ASSERT_TRUE(sparse) << sparse.error().message;
    EXPECT_DOUBLE_EQ(sparse->emotions[Emotion::joy], 0.9);
    EXPECT_DOUBLE_EQ(sparse->emotions[Emotion::anger], 0.0);
}

TEST(ModelAppraisal, RejectsWhatIsOutOfRangeUnknownOrMalformed) {
    struct Case {
        const char* reply;
        const char* expected;
    };
    const Case cases[] = {
        {R"({"valence":-1.5,"arousal":0.7,"emotions":{}})", "valence -1.5 is outside [-1, 1]"},
        {R"({"valence":0.2,"arousal":-0.1,"emotions":{}})", "arousal -0.1 is outside [0, 1]"},
        {R"({"valence":0.2,"arousal":1.01,"emotions":{}})", "arousal 1.01 is outside [0, 1]"},
        {R"({"valence":0.2,"arousal":0.5,"emotions":{"joy":1.2}})", "joy 1.2 is outside [0, 1]"},
        {R"({"valence":0.2,"arousal":0.5,"emotions":{"sadness":-0.3}})", "sadness -0.3 is outside [0, 1]"},
        {R"({"valence":0.2,"arousal":0.5,"emotions":{"boredom":0.4}})", "unknown emotion \"boredom\""},
        {R"({"valence":0.2,"arousal":0.5,"emotions":{"Joy":0.4}})", "unknown emotion \"Joy\""},
        {R"({"valence":"high","arousal":0.5,"emotions":{}})", "valence is not a number"},
        {R"({"valence":0.2,"arousal":0.5,"emotions":[0.1]})", "\"emotions\" is not an object"},
        {R"({"valence":0.2,"arousal":0.5})", "are all required"},
        {R"({"valence":0.2,"arousal":0.5,"emotions":{},"note":"x"})", "unexpected field \"note\""},
        {R"({"valence":0.2,"arousal":0.5,"emot)", "not a JSON object"},
        {"[1, 2]", "not a JSON object"},
        {"\xff\xfe", "not valid UTF-8"},
    };
    for (const Case& c : cases) {
        auto parsed = parse_model_appraisal(c.reply);
        ASSERT_FALSE(parsed) << c.reply;
        EXPECT_NE(parsed.error().message.find(c.expected), std::string::npos)
            << c.reply << " -> " << parsed.error().message;
        EXPECT_EQ(parsed.error().message.rfind("model appraisal: ", 0), 0u) << parsed.error().message;
    }
}

TEST(ModelAppraisal, GrammarNamesEveryEmotionInOrder) {
    const std::string grammar = model_appraisal_grammar;
    std::size_t at = grammar.find("emotions ::=");
    ASSERT_NE(at, std::string::npos);
    for (Emotion e : all_emotions) {
        std::string key = "\"\\\"";  // the grammar spells a key as "\"joy\""
        key.append(emotion_name(e)).append("\\\"\"");
        const std::size_t found = grammar.find(key, at);
        ASSERT_NE(found, std::string::npos) << key;
        at = found;
    }
    // The instructions show the same keys.
    const std::string instructions = model_appraisal_instructions;
    for (Emotion e : all_emotions) {
        std::string quoted(1, '"');
        quoted.append(emotion_name(e)).push_back('"');
        EXPECT_NE(instructions.find(quoted), std::string::npos) << quoted;
    }
}

TEST(ModelAppraisal, BlendWeighsEachDimension) {
    Appraisal rule;
    rule.valence = 0.4;
    rule.compound = 0.55;
    rule.arousal = 0.2;
    rule.emotions[Emotion::joy] = 0.6;
    Appraisal model;
    model.valence = -0.6;
    model.arousal = 0.8;
    model.emotions[Emotion::sadness] = 0.9;

    const BlendWeights w;  // the documented defaults
    const Appraisal blended = blend_appraisals(rule, model, w);
    EXPECT_DOUBLE_EQ(blended.valence, (1 - w.valence) * 0.4 + w.valence * -0.6);
    EXPECT_DOUBLE_EQ(blended.arousal, (1 - w.arousal) * 0.2 + w.arousal * 0.8);
    EXPECT_DOUBLE_EQ(blended.emotions[Emotion::joy], (1 - w.emotions) * 0.6);
    EXPECT_DOUBLE_EQ(blended.emotions[Emotion::sadness], w.emotions * 0.9);
    EXPECT_DOUBLE_EQ(blended.compound, 0.55);  // VADER's own score is kept

    // The weights are the model's share: 0 keeps the rules, 1 takes the model.
    const Appraisal rules_only = blend_appraisals(rule, model, {0, 0, 0});
    EXPECT_DOUBLE_EQ(rules_only.valence, rule.valence);
    EXPECT_DOUBLE_EQ(rules_only.emotions[Emotion::sadness], 0.0);
    const Appraisal model_only = blend_appraisals(rule, model, {1, 1, 1});
    EXPECT_DOUBLE_EQ(model_only.valence, model.valence);
    EXPECT_DOUBLE_EQ(model_only.emotions[Emotion::joy], 0.0);
}

TEST(Mood, ShiftFadesLikeAPushAtItsTime) {
    const Timestamp t0{std::chrono::sys_days{std::chrono::year{2026} / 1 / 5}.time_since_epoch()};
    Mood mood(t0);
    const Pad rest = mood.pad();
    // A correction for a message one half-life ago arrives half-faded.
    mood.shift({-0.4, 0.2, 0.0}, t0, t0 + 30min);
    const Pad now = mood.pad();
    EXPECT_NEAR(now.pleasure, rest.pleasure - 0.2, 1e-9);
    EXPECT_NEAR(now.arousal, rest.arousal + 0.1, 1e-9);
    EXPECT_NEAR(now.dominance, rest.dominance, 1e-9);
    mood.shift({-5, 5, 0}, t0 + 30min, t0 + 30min);
    EXPECT_GE(mood.pad().pleasure, -1.0);
    EXPECT_LE(mood.pad().arousal, 1.0);
}

std::filesystem::path fresh_dir(const std::string& name) {
    return os1::test::unique_temp_dir("model-appraisal-" + name);
}

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

// "Great, just great." reads as praise to the rules; a model that hears the sarcasm pulls the
// mood down by exactly what the blend changes, and the correction is logged and persisted.
TEST(CompanionState, ModelAppraisalCorrectsTheMoodByTheBlend) {
    const auto dir = fresh_dir("correct");
    Timestamp clock{std::chrono::sys_days{std::chrono::year{2026} / 1 / 5}.time_since_epoch() + 19h};
    const UtcOffset utc = fixed_utc_offset(0s);
    auto state = CompanionState::open(
        dir, BigFive{}, [&clock] { return clock; }, utc);
    ASSERT_TRUE(state) << state.error().message;

    const std::string text = "Great, just great. My car broke down again.";
    const Appraisal rule = appraiser().appraise(text);
    const Mood before = state->mood();
    ASSERT_TRUE(state->observe_user_message(text, rule));
    const Timestamp message_at = clock;
    ASSERT_TRUE(state->last_observed());
    EXPECT_EQ(state->last_observed()->at, message_at);
    const Pad after_rules = state->mood_now();

    auto model = parse_model_appraisal(
        R"({"valence":-0.7,"arousal":0.6,"emotions":{"joy":0,"sadness":0.3,"anger":0.7,"fear":0,"surprise":0,)"
        R"("affection":0,"loneliness":0,"gratitude":0}})");
    ASSERT_TRUE(model) << model.error().message;
    clock += 10min;  // the model answers while the user reads the reply
    auto blended = state->apply_model_appraisal(message_at, model.value());
    ASSERT_TRUE(blended) << blended.error().message;
    ASSERT_TRUE(blended->has_value());
    EXPECT_LT(blended.value()->valence, rule.valence);

    // Expected: the mood the blend would have made minus the one the rules made, faded 10 minutes.
    Mood by_rules = before;
    by_rules.apply(rule, message_at);
    Mood by_blend = before;
    by_blend.apply(*blended.value(), message_at);
    const double faded = std::exp2(-10.0 / 30.0);
    Mood expected = by_rules;
    expected.decay_to(clock);
    const Pad corrected = state->mood_now();
    EXPECT_NEAR(corrected.pleasure,
                expected.pad().pleasure + faded * (by_blend.pad().pleasure - by_rules.pad().pleasure), 1e-9);
    EXPECT_NEAR(corrected.arousal, expected.pad().arousal + faded * (by_blend.pad().arousal - by_rules.pad().arousal),
                1e-9);
    EXPECT_LT(corrected.pleasure, after_rules.pleasure);

    auto log = state->model_appraisals(10);
    ASSERT_TRUE(log) << log.error().message;
    ASSERT_EQ(log->size(), 1u);
    EXPECT_EQ(log->front().status, "blended");
    EXPECT_EQ(log->front().message_at, message_at);
    EXPECT_LT(log->front().mood_delta.pleasure, 0.0);
    EXPECT_NEAR(log->front().mood_delta.pleasure, by_blend.pad().pleasure - by_rules.pad().pleasure, 1e-9);
    EXPECT_EQ(nlohmann::json::parse(log->front().blended_json)["valence"].get<double>(),
              std::round(blended.value()->valence * 1000.0) / 1000.0);

    // Persisted: a reopened state has the corrected mood.
    auto reopened = CompanionState::open(
        dir, BigFive{}, [&clock] { return clock; }, utc);
    ASSERT_TRUE(reopened) << reopened.error().message;
    EXPECT_NEAR(reopened->mood_now().pleasure, corrected.pleasure, 1e-9);

    // An appraisal of an older message, or a rejection, leaves the mood alone and is logged.
    clock += 1min;
    const std::string next = "Anyway, how are you?";
    ASSERT_TRUE(state->observe_user_message(next, appraiser().appraise(next)));
    const Pad settled = state->mood_now();
    auto stale = state->apply_model_appraisal(message_at, model.value());
    ASSERT_TRUE(stale) << stale.error().message;
    EXPECT_FALSE(stale->has_value());
    ASSERT_TRUE(state->record_model_appraisal_rejection(clock, "model appraisal: unknown emotion \"boredom\""));
    EXPECT_DOUBLE_EQ(state->mood_now().pleasure, settled.pleasure);
    log = state->model_appraisals(10);
    ASSERT_TRUE(log);
    ASSERT_EQ(log->size(), 3u);
    EXPECT_EQ(log->at(0).status, "rejected");
    EXPECT_NE(log->at(0).note.find("boredom"), std::string::npos);
    EXPECT_FALSE(log->at(0).rule_json.empty());
    EXPECT_EQ(log->at(1).status, "stale");
}

}  // namespace
