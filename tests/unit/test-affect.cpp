// Unit tests of src/affect: VADER against its published reference output, the appraisal rules,
// and the PAD mood (decay, bounds, labels, JSON).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "affect/affect.h"
#include "affect/mood-expression.h"

namespace {

using namespace os1::affect;
using namespace std::chrono_literals;

const VaderLexicon& lexicon() {
    static const VaderLexicon loaded = [] {
        auto result = VaderLexicon::load(default_vader_lexicon_path());
        if (!result) {
            std::fprintf(stderr, "%s\n", result.error().message.c_str());
            std::abort();
        }
        return result.release_value();
    }();
    return loaded;
}

const VaderAnalyzer& vader() {
    static const VaderAnalyzer analyzer(lexicon());
    return analyzer;
}

const Appraiser& appraiser() {
    static const Appraiser instance{VaderAnalyzer(lexicon())};
    return instance;
}

double compound(std::string_view text) {
    return vader().polarity_scores(text).compound;
}

// --- lexicon ---------------------------------------------------------------------------------

TEST(VaderLexicon, LoadsTheShippedLexicon) {
    EXPECT_GT(lexicon().size(), 7000u);
    ASSERT_TRUE(lexicon().find("good").has_value());
    EXPECT_DOUBLE_EQ(*lexicon().find("good"), 1.9);
    EXPECT_TRUE(lexicon().contains(":)"));
    EXPECT_FALSE(lexicon().contains("zzyzx-not-a-word"));
}

TEST(VaderLexicon, MissingFileIsAnError) {
    auto result = VaderLexicon::load("/nonexistent/vader_lexicon.txt");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("/nonexistent/vader_lexicon.txt"), std::string::npos);
}

TEST(VaderLexicon, CorruptContentIsAnError) {
    auto bad_number = VaderLexicon::parse("good\t1.9\t0.5\t[]\nbad\tterrible\t0.1\t[]\n", "lex.txt");
    ASSERT_FALSE(bad_number);
    EXPECT_EQ(bad_number.error().message, "lex.txt:2: invalid valence 'terrible'");

    auto no_tab = VaderLexicon::parse("good 1.9\n", "lex.txt");
    ASSERT_FALSE(no_tab);
    EXPECT_NE(no_tab.error().message.find("lex.txt:1"), std::string::npos);

    auto out_of_range = VaderLexicon::parse("good\t9.5\n", "lex.txt");
    EXPECT_FALSE(out_of_range);

    auto empty = VaderLexicon::parse("", "lex.txt");
    EXPECT_FALSE(empty);
}

TEST(VaderLexicon, LaterDuplicatesWinAndCapitalizedKeysAreUnreachable) {
    auto parsed = VaderLexicon::parse("lol\t2.9\nlol\t1.8\r\nXD\t2.0\n", "lex.txt");
    ASSERT_TRUE(parsed);
    EXPECT_DOUBLE_EQ(*parsed->find("lol"), 1.8);
    EXPECT_FALSE(parsed->contains("xd"));
    EXPECT_EQ(parsed->size(), 1u);
}

TEST(VaderLexicon, EnvironmentOverridesTheDefaultPath) {
    const char* saved = std::getenv("OS1_VADER_LEXICON");
    const std::string previous = saved ? saved : "";
    ::setenv("OS1_VADER_LEXICON", "/custom/lexicon.txt", 1);
    EXPECT_EQ(default_vader_lexicon_path(), std::filesystem::path("/custom/lexicon.txt"));
    ::unsetenv("OS1_VADER_LEXICON");
    EXPECT_NE(default_vader_lexicon_path(), std::filesystem::path("/custom/lexicon.txt"));
    EXPECT_FALSE(default_vader_lexicon_path().empty());
    if (saved)
        ::setenv("OS1_VADER_LEXICON", previous.c_str(), 1);
}

// --- VADER reference -------------------------------------------------------------------------

struct Reference {
    const char* text;
    double neg, neu, pos, compound;
};

// The demo output published in the original VADER README (github.com/cjhutto/vaderSentiment),
// and the example in the vader-sentiment npm README (the last one: no trailing period). The
// emoji example is left out: the npm package ships no emoji lexicon.
const Reference references[] = {
    {"VADER is smart, handsome, and funny.", 0.0, 0.254, 0.746, 0.8316},
    {"VADER is smart, handsome, and funny!", 0.0, 0.248, 0.752, 0.8439},
    {"VADER is very smart, handsome, and funny.", 0.0, 0.299, 0.701, 0.8545},
    {"VADER is VERY SMART, handsome, and FUNNY.", 0.0, 0.246, 0.754, 0.9227},
    {"VADER is VERY SMART, handsome, and FUNNY!!!", 0.0, 0.233, 0.767, 0.9342},
    {"VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", 0.0, 0.294, 0.706, 0.9469},
    {"VADER is not smart, handsome, nor funny.", 0.646, 0.354, 0.0, -0.7424},
    {"The book was good.", 0.0, 0.508, 0.492, 0.4404},
    {"At least it isn't a horrible book.", 0.0, 0.637, 0.363, 0.431},
    {"The book was only kind of good.", 0.0, 0.697, 0.303, 0.3832},
    {"The plot was good, but the characters are uncompelling and the dialog is not great.", 0.327, 0.579, 0.094,
     -0.7042},
    {"Today SUX!", 0.779, 0.221, 0.0, -0.5461},
    {"Today only kinda sux! But I'll get by, lol", 0.127, 0.556, 0.317, 0.5249},
    {"Make sure you :) or :D today!", 0.0, 0.294, 0.706, 0.8633},
    {"Not bad at all", 0.0, 0.513, 0.487, 0.431},
    {"VADER is very smart, handsome, and funny", 0.0, 0.299, 0.701, 0.8545},
};

TEST(Vader, MatchesThePublishedReferenceScores) {
    for (const Reference& ref : references) {
        SentimentScores s = vader().polarity_scores(ref.text);
        EXPECT_NEAR(s.compound, ref.compound, 0.01) << ref.text;
        EXPECT_NEAR(s.neg, ref.neg, 0.01) << ref.text;
        EXPECT_NEAR(s.neu, ref.neu, 0.01) << ref.text;
        EXPECT_NEAR(s.pos, ref.pos, 0.01) << ref.text;
    }
}

TEST(Vader, EmptyAndWordlessTextIsNeutral) {
    for (const char* text : {"", "   ", "!!!", "a b c"}) {
        SentimentScores s = vader().polarity_scores(text);
        EXPECT_EQ(s.compound, 0.0) << text;
        EXPECT_EQ(s.pos, 0.0) << text;
        EXPECT_EQ(s.neg, 0.0) << text;
    }
}

TEST(Vader, Negation) {
    EXPECT_GT(compound("the food is good"), 0.3);
    EXPECT_LT(compound("the food is not good"), -0.3);
    EXPECT_LT(compound("the food isn't good"), -0.3);
    EXPECT_LT(compound("the food was never good"), -0.3);
    EXPECT_LT(compound("I dont like it"), 0.0);
    // A typographic apostrophe negates like an ASCII one.
    EXPECT_DOUBLE_EQ(compound("I don\u2019t like it"), compound("I don't like it"));
    // Negation words match in any case.
    EXPECT_DOUBLE_EQ(compound("NOT good at all, really"), compound("not good at all, really"));
    // "no" before a rated word negates it instead of adding its own negativity.
    EXPECT_LT(compound("that is no good"), -0.3);
    EXPECT_LT(compound("no no no"), 0.0);
    // "least" negates, "at least" does not.
    EXPECT_LT(compound("the least good option"), 0.0);
    EXPECT_GT(compound("it was at least good"), 0.0);
    // "never so" emphasises rather than negates.
    EXPECT_GT(compound("I have never so enjoyed a film"), compound("I have enjoyed a film"));
}

TEST(Vader, BoostersAndDampeners) {
    EXPECT_GT(compound("the food is very good"), compound("the food is good"));
    EXPECT_GT(compound("the food is extremely good"), compound("the food is good"));
    EXPECT_LT(compound("the food is slightly good"), compound("the food is good"));
    EXPECT_LT(compound("the food is kind of good"), compound("the food is good"));
    EXPECT_LT(compound("the food is extremely bad"), compound("the food is bad"));
    EXPECT_GT(compound("the food is barely bad"), compound("the food is bad"));
}

TEST(Vader, CapsEmphasisOnlyInMixedCaseText) {
    EXPECT_GT(compound("the food is GOOD today"), compound("the food is good today"));
    EXPECT_LT(compound("the food is BAD today"), compound("the food is bad today"));
    // All capitals is no emphasis: nothing stands out.
    EXPECT_DOUBLE_EQ(compound("THE FOOD IS GOOD TODAY"), compound("the food is good today"));
}

TEST(Vader, Punctuation) {
    EXPECT_GT(compound("the food is good!"), compound("the food is good"));
    EXPECT_GT(compound("the food is good!!!"), compound("the food is good!"));
    // At most four exclamation marks count.
    EXPECT_DOUBLE_EQ(compound("the food is good!!!!"), compound("the food is good!!!!!!!!"));
    EXPECT_GT(compound("the food is good??"), compound("the food is good"));
    EXPECT_DOUBLE_EQ(compound("the food is good?"), compound("the food is good"));
    EXPECT_LT(compound("the food is bad!!"), compound("the food is bad"));
}

TEST(Vader, ButShiftsTheWeight) {
    double shifted = compound("the food was great but the service was bad");
    EXPECT_LT(shifted, 0.0);
    EXPECT_GT(compound("the service was bad but the food was great"), 0.0);
    EXPECT_DOUBLE_EQ(compound("the food was great. But the service was bad"), shifted);
}

TEST(Vader, Idioms) {
    EXPECT_GT(compound("honestly this movie is the bomb"), 0.5);
    // The idiom overrides the valence of the rated words it holds: "kiss" alone is positive.
    EXPECT_GT(compound("that move was the kiss"), 0.0);
    EXPECT_LT(compound("that move was the kiss of death"), 0.0);
}

TEST(Vader, EmoticonsSurviveTrailingPunctuation) {
    EXPECT_GT(compound("see you tomorrow :)."), 0.3);
    EXPECT_LT(compound("see you tomorrow :("), -0.3);
}

TEST(Vader, AnyBytesAreSafe) {
    EXPECT_GT(compound("\xff\xfe good \xc3"), 0.0);
    std::string noise;
    for (int i = 0; i < 4096; ++i)
        noise.push_back(static_cast<char>((i * 131 + 7) % 256));
    SentimentScores s = vader().polarity_scores(noise);
    EXPECT_GE(s.compound, -1.0);
    EXPECT_LE(s.compound, 1.0);
}

// --- appraisal ---------------------------------------------------------------------------------

Appraisal appraise(std::string_view text) {
    return appraiser().appraise(text);
}

void expect_in_range(const Appraisal& a, std::string_view text) {
    EXPECT_GE(a.valence, -1.0) << text;
    EXPECT_LE(a.valence, 1.0) << text;
    EXPECT_GE(a.arousal, 0.0) << text;
    EXPECT_LE(a.arousal, 1.0) << text;
    for (Emotion e : all_emotions) {
        EXPECT_GE(a.emotions[e], 0.0) << text << " " << emotion_name(e);
        EXPECT_LE(a.emotions[e], 1.0) << text << " " << emotion_name(e);
    }
}

TEST(Appraisal, ValenceFollowsCompoundOutsideTheNeutralBand) {
    Appraisal neutral = appraise("the meeting is at noon");
    EXPECT_EQ(neutral.compound, 0.0);
    EXPECT_EQ(neutral.valence, 0.0);
    Appraisal good = appraise("The book was good.");
    EXPECT_NEAR(good.compound, 0.4404, 0.001);
    EXPECT_GT(good.valence, 0.35);
    EXPECT_LT(good.valence, good.compound);
    EXPECT_LT(appraise("this is awful").valence, -0.3);
}

TEST(Appraisal, EmotionCues) {
    struct Case {
        const char* text;
        Emotion expected;
    };
    const Case cases[] = {
        {"I'm so happy today!", Emotion::joy},
        {"I cried all night, I feel so sad", Emotion::sadness},
        {"I'm furious with you, this is so unfair", Emotion::anger},
        {"I'm scared about the surgery tomorrow", Emotion::fear},
        {"wow, I didn't expect that", Emotion::surprise},
        {"I love you <3", Emotion::affection},
        {"I feel so lonely, nobody cares about me", Emotion::loneliness},
        {"thank you so much for listening", Emotion::gratitude},
    };
    for (const Case& c : cases) {
        Appraisal a = appraise(c.text);
        expect_in_range(a, c.text);
        auto dominant = a.emotions.dominant();
        ASSERT_TRUE(dominant.has_value()) << c.text;
        EXPECT_EQ(emotion_name(*dominant), emotion_name(c.expected)) << c.text;
        EXPECT_GT(a.emotions[c.expected], 0.5) << c.text;
    }
}

TEST(Appraisal, NegatedCues) {
    Appraisal not_happy = appraise("I'm not happy");
    EXPECT_LT(not_happy.emotions[Emotion::joy], 0.1);
    EXPECT_GT(not_happy.emotions[Emotion::sadness], not_happy.emotions[Emotion::joy]);

    EXPECT_LT(appraise("no thanks").emotions[Emotion::gratitude], 0.1);
    EXPECT_GT(appraise("thanks").emotions[Emotion::gratitude], 0.5);
    EXPECT_LT(appraise("don't worry about it").emotions[Emotion::fear], 0.1);
    EXPECT_LT(appraise("I'm not angry").emotions[Emotion::anger], 0.1);
    // Negation stops at the end of a clause.
    Appraisal clause = appraise("not really, I'm happy");
    EXPECT_GT(clause.emotions[Emotion::joy], 0.5);
    Appraisal contrast = appraise("it wasn't easy but I'm happy");
    EXPECT_GT(contrast.emotions[Emotion::joy], 0.5);
}

TEST(Appraisal, ModifiersAndElongation) {
    double plain = appraise("I am sad").emotions[Emotion::sadness];
    EXPECT_GT(appraise("I am really sad").emotions[Emotion::sadness], plain);
    EXPECT_LT(appraise("I am a bit sad").emotions[Emotion::sadness], plain);
    EXPECT_GT(appraise("sooo happyyy").emotions[Emotion::joy], 0.5);
    EXPECT_GT(appraise("I am happy!!!").emotions[Emotion::joy], appraise("I am happy").emotions[Emotion::joy]);
}

TEST(Appraisal, Arousal) {
    double flat = appraise("the meeting is at noon").arousal;
    EXPECT_NEAR(flat, 0.1, 0.05);
    EXPECT_GT(appraise("WHY DID YOU DO THAT!!!").arousal, 0.5);
    EXPECT_GT(appraise("why did you DO that!!").arousal, appraise("why did you do that").arousal);
    EXPECT_GT(appraise("I'm so excited, omg!!").arousal, 0.6);
    EXPECT_LT(appraise("I'm tired and sleepy").arousal, flat);
    EXPECT_GT(appraise("I'm furious").arousal, appraise("I'm sad").arousal);
}

TEST(Appraisal, AlwaysInRange) {
    const char* texts[] = {
        "",
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        "HAPPY HAPPY HAPPY JOY JOY LOVE YOU THANK YOU WOW!!!!!",
        "I hate hate hate this, so furious, scared, sad, lonely, crying!!!???",
        "\xff\xfe\xfd not valid utf-8 \xc3\x28",
        "no no no no never not without nothing nobody",
    };
    for (const char* text : texts)
        expect_in_range(appraise(text), text);
}

// --- mood ------------------------------------------------------------------------------------

const Timestamp t0{std::chrono::milliseconds(1'700'000'000'000)};

Appraisal strong(double sign) {
    Appraisal a;
    a.valence = sign;
    a.compound = sign;
    a.arousal = 1.0;
    for (Emotion e : all_emotions)
        a.emotions[e] = 0.0;
    if (sign > 0) {
        a.emotions[Emotion::joy] = 1.0;
        a.emotions[Emotion::gratitude] = 1.0;
        a.emotions[Emotion::affection] = 1.0;
    } else {
        a.emotions[Emotion::anger] = 1.0;
        a.emotions[Emotion::fear] = 1.0;
        a.emotions[Emotion::sadness] = 1.0;
    }
    return a;
}

void expect_bounded(const Pad& p) {
    for (double x : {p.pleasure, p.arousal, p.dominance}) {
        EXPECT_TRUE(std::isfinite(x));
        EXPECT_GE(x, -1.0);
        EXPECT_LE(x, 1.0);
    }
}

TEST(Mood, StartsAtTheBaseline) {
    MoodConfig config;
    config.baseline = {0.2, -0.1, 0.3};
    auto mood = Mood::create(config, t0);
    ASSERT_TRUE(mood);
    EXPECT_DOUBLE_EQ(mood->pad().pleasure, 0.2);
    EXPECT_DOUBLE_EQ(mood->pad().arousal, -0.1);
    EXPECT_DOUBLE_EQ(mood->pad().dominance, 0.3);
    EXPECT_EQ(mood->updated_at(), t0);
    EXPECT_EQ(Mood(t0).label(), MoodLabel::neutral);
}

TEST(Mood, InvalidConfigIsAnError) {
    MoodConfig zero_half_life;
    zero_half_life.half_life = 0ms;
    EXPECT_FALSE(Mood::create(zero_half_life, t0));
    MoodConfig bad_baseline;
    bad_baseline.baseline.pleasure = 1.5;
    EXPECT_FALSE(Mood::create(bad_baseline, t0));
    MoodConfig bad_sensitivity;
    bad_sensitivity.sensitivity = -0.1;
    EXPECT_FALSE(Mood::create(bad_sensitivity, t0));
}

TEST(Mood, DecayHalvesTheDistanceEachHalfLife) {
    MoodConfig config;
    config.half_life = 10min;
    auto created = Mood::create(config, t0);
    ASSERT_TRUE(created);
    Mood mood = created.release_value();
    for (int i = 0; i < 5; ++i)
        mood.apply(strong(1.0), t0);
    const Pad start = mood.pad();
    const Pad& base = config.baseline;
    ASSERT_GT(std::fabs(start.pleasure - base.pleasure), 0.3);

    Pad predicted = mood.pad_at(t0 + 10min);
    EXPECT_EQ(mood.pad().pleasure, start.pleasure);  // pad_at does not change the mood

    mood.decay_to(t0 + 10min);
    EXPECT_NEAR(mood.pad().pleasure - base.pleasure, (start.pleasure - base.pleasure) / 2, 1e-12);
    EXPECT_NEAR(mood.pad().arousal - base.arousal, (start.arousal - base.arousal) / 2, 1e-12);
    EXPECT_NEAR(mood.pad().dominance - base.dominance, (start.dominance - base.dominance) / 2, 1e-12);
    EXPECT_DOUBLE_EQ(predicted.pleasure, mood.pad().pleasure);

    mood.decay_to(t0 + 20min);
    EXPECT_NEAR(mood.pad().pleasure - base.pleasure, (start.pleasure - base.pleasure) / 4, 1e-12);

    // A timestamp from the past changes nothing.
    const Pad before = mood.pad();
    mood.decay_to(t0 + 5min);
    EXPECT_EQ(mood.pad().pleasure, before.pleasure);
    EXPECT_EQ(mood.updated_at(), t0 + 20min);

    // After many half-lives the mood is back at its baseline.
    mood.decay_to(t0 + 24h);
    EXPECT_NEAR(mood.pad().pleasure, base.pleasure, 1e-9);
    EXPECT_EQ(mood.label(), MoodLabel::neutral);
}

TEST(Mood, StaysBoundedUnderStrongPushes) {
    for (double sign : {1.0, -1.0}) {
        Mood mood(t0);
        for (int i = 0; i < 1000; ++i) {
            mood.apply(strong(sign), t0 + std::chrono::milliseconds(i));
            expect_bounded(mood.pad());
        }
        if (sign > 0)
            EXPECT_GT(mood.pad().pleasure, 0.9);
        else
            EXPECT_LT(mood.pad().pleasure, -0.9);
    }
    Mood alternating(t0);
    for (int i = 0; i < 1000; ++i) {
        alternating.apply(strong(i % 2 ? 1.0 : -1.0), t0 + std::chrono::seconds(i));
        expect_bounded(alternating.pad());
    }
    // Garbage in does not poison the state.
    Appraisal garbage = strong(1.0);
    garbage.valence = std::nan("");
    garbage.arousal = 1e300;
    garbage.emotions[Emotion::fear] = -std::numeric_limits<double>::infinity();
    Mood mood(t0);
    for (int i = 0; i < 1000; ++i)
        mood.apply(garbage, t0);
    expect_bounded(mood.pad());
}

TEST(Mood, NeutralMessagesBarelyMoveIt) {
    Mood mood(t0);
    const Pad start = mood.pad();
    mood.apply(appraise("the meeting is at noon"), t0);
    EXPECT_NEAR(mood.pad().pleasure, start.pleasure, 0.02);
    EXPECT_NEAR(mood.pad().arousal, start.arousal, 0.02);
}

TEST(Mood, RealMessagesMoveItTheRightWay) {
    Mood warm(t0);
    for (int i = 0; i < 10; ++i)
        warm.apply(appraise("thank you so much, I love talking to you!"), t0 + std::chrono::minutes(i));
    EXPECT_GT(warm.pad().pleasure, 0.5);
    EXPECT_TRUE(warm.label() == MoodLabel::happy || warm.label() == MoodLabel::excited)
        << mood_label_name(warm.label());

    Mood hurt(t0);
    for (int i = 0; i < 10; ++i)
        hurt.apply(appraise("I'm furious with you, you are useless!!!"), t0 + std::chrono::minutes(i));
    EXPECT_LT(hurt.pad().pleasure, -0.3);
    EXPECT_TRUE(hurt.label() == MoodLabel::irritated || hurt.label() == MoodLabel::anxious)
        << mood_label_name(hurt.label());
}

TEST(Mood, Labels) {
    struct Case {
        Pad pad;
        MoodLabel label;
    };
    const Case cases[] = {
        {{0.0, 0.0, 0.0}, MoodLabel::neutral},   {{0.1, -0.05, 0.5}, MoodLabel::neutral},
        {{0.6, 0.6, 0.2}, MoodLabel::excited},   {{0.6, 0.0, 0.0}, MoodLabel::happy},
        {{0.2, 0.1, 0.0}, MoodLabel::content},   {{0.5, -0.6, 0.0}, MoodLabel::calm},
        {{-0.6, -0.5, -0.3}, MoodLabel::sad},    {{-0.3, -0.3, 0.3}, MoodLabel::bored},
        {{-0.5, 0.5, -0.4}, MoodLabel::anxious}, {{-0.5, 0.5, 0.4}, MoodLabel::irritated},
    };
    for (const Case& c : cases)
        EXPECT_EQ(mood_label_name(label_for(c.pad)), mood_label_name(c.label))
            << c.pad.pleasure << " " << c.pad.arousal << " " << c.pad.dominance;
}

TEST(Mood, JsonRoundTrip) {
    Mood mood(t0);
    mood.apply(strong(-1.0), t0 + 1s);
    std::string json = mood.to_json();
    EXPECT_NE(json.find("\"label\""), std::string::npos);

    auto restored = Mood::from_json(json, MoodConfig{});
    ASSERT_TRUE(restored) << restored.error().message;
    EXPECT_DOUBLE_EQ(restored->pad().pleasure, mood.pad().pleasure);
    EXPECT_DOUBLE_EQ(restored->pad().arousal, mood.pad().arousal);
    EXPECT_DOUBLE_EQ(restored->pad().dominance, mood.pad().dominance);
    EXPECT_EQ(restored->updated_at(), mood.updated_at());
    EXPECT_EQ(restored->label(), mood.label());
}

TEST(Mood, JsonErrors) {
    const MoodConfig config;
    EXPECT_FALSE(Mood::from_json("", config));
    EXPECT_FALSE(Mood::from_json("{not json", config));
    EXPECT_FALSE(Mood::from_json("[1, 2, 3]", config));
    EXPECT_FALSE(Mood::from_json(R"({"pleasure": 0, "arousal": 0, "updated_at_ms": 0})", config));
    EXPECT_FALSE(Mood::from_json(R"({"pleasure": 2, "arousal": 0, "dominance": 0, "updated_at_ms": 0})", config));
    EXPECT_FALSE(Mood::from_json(R"({"pleasure": "x", "arousal": 0, "dominance": 0, "updated_at_ms": 0})", config));
    EXPECT_FALSE(Mood::from_json(R"({"pleasure": 0, "arousal": 0, "dominance": 0, "updated_at_ms": 1.5})", config));
    auto missing = Mood::from_json(R"({"pleasure": 0, "arousal": 0, "updated_at_ms": 0})", config);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "mood: \"dominance\" is missing or not a number");
    MoodConfig bad;
    bad.half_life = -1s;
    EXPECT_FALSE(Mood::from_json(R"({"pleasure": 0, "arousal": 0, "dominance": 0, "updated_at_ms": 0})", bad));
}

}  // namespace

TEST(MoodExpression, TheUserHearsAboutTheCompanionByNameAndWhatLastMovedItsMood) {
    const os1::affect::Pad content{0.25, -0.1, 0.1};
    ASSERT_EQ(os1::affect::label_for(content), os1::affect::MoodLabel::content);
    EXPECT_EQ(os1::affect::mood_report_line("Juniper", content, "you seemed lonely"),
              "Juniper feels content. Last moved when you seemed lonely.");
    EXPECT_EQ(os1::affect::mood_report_line("Juniper", content, ""), "Juniper feels content.");
    // The model is addressed as "you"; the user never is, about the companion.
    EXPECT_EQ(os1::affect::mood_prompt_line(content, "they feel lonely"),
              "You feel content, because they feel lonely.");
}
