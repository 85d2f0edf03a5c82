// `os1 persona import|export|show`, `os1 mood`, `os1 relationship`, `os1 journal` and
// `os1 affect appraise` through the real os1 binary: their JSON against the state the affect
// library reads from the same database, and their errors (a broken card, an unknown user).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "affect/affect.h"
#include "affect/companion-state.h"
#include "core/clock.h"
#include "core/local-day.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

using namespace os1::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const juniper_card = R"({"spec":"chara_card_v2","spec_version":"2.0","data":{
  "name":"Juniper","description":"A botanist who talks to ferns.","personality":"curious, warm",
  "scenario":"a greenhouse","first_mes":"Hello!","mes_example":"","creator_notes":"","system_prompt":"",
  "post_history_instructions":"","alternate_greetings":[],"tags":["plants"],"creator":"tester",
  "character_version":"3","extensions":{"os1":{"big_five":{"openness":0.9,"neuroticism":0.2}},"other":{"kept":true}}}})";

// Every run of the binary happens at this instant, in UTC, whatever the hour and the machine's
// zone: the binary reads "now" from OS1_NOW and its zone from TZ.
const char* const now_text = "2026-05-03T12:00:00Z";
const os1::Timestamp now = os1::from_unix_seconds(1777809600);  // the same instant
const os1::UtcOffset utc = os1::fixed_utc_offset(0s);
const EnvironmentVariables at_noon_utc = {{"OS1_NOW", now_text}, {"TZ", "UTC0"}};

class AffectCli : public ::testing::Test {
protected:
    void SetUp() override {
        m_home = unique_temp_dir(std::string("affect-cli-") +
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_FALSE(m_home.empty());
    }

    ProcessResult os1(std::vector<std::string> args, const std::string& input = {},
                      const EnvironmentVariables& env = at_noon_utc) {
        args.insert(args.begin(), {OS1_BINARY, "--home", m_home.string()});
        return run_process(args, input, env);
    }

    fs::path write(const std::string& name, const std::string& text) {
        fs::path file = m_home / name;
        std::ofstream(file, std::ios::binary) << text;
        return file;
    }

    static json parse(const ProcessResult& r) {
        json j = json::parse(r.out, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
        return j;
    }

    fs::path user_dir(const std::string& user) const { return m_home / "users" / user; }

    fs::path m_home;
};

double rounded(double x, double scale) {
    return std::round(x * scale) / scale;
}

TEST_F(AffectCli, PersonaImportShowExportRoundTrip) {
    const fs::path card = write("juniper.json", juniper_card);
    auto imported = os1({"persona", "import", card.string(), "--user", "sam"});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    EXPECT_NE(imported.out.find("imported Juniper for user sam"), std::string::npos) << imported.out;

    auto shown = os1({"persona", "show", "--json", "--user", "sam"});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    json show = parse(shown);
    EXPECT_EQ(show["user"], "sam");
    EXPECT_EQ(show["builtin"], false);
    EXPECT_EQ(show["card"]["spec"], "chara_card_v2");
    EXPECT_EQ(show["card"]["data"]["name"], "Juniper");
    EXPECT_EQ(show["card"]["data"]["personality"], "curious, warm");
    EXPECT_EQ(show["card"]["data"]["extensions"]["other"]["kept"], true);
    EXPECT_TRUE(show["chosen_name"].is_null());
    auto text = os1({"persona", "show", "--user", "sam"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_EQ(text.out.rfind("Juniper\n", 0), 0u) << text.out;

    const fs::path out = m_home / "exported.json";
    auto exported = os1({"persona", "export", out.string(), "--user", "sam"});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    std::ifstream in(out);
    json card_out = json::parse(std::string(std::istreambuf_iterator<char>(in), {}), nullptr, false);
    ASSERT_FALSE(card_out.is_discarded());
    EXPECT_EQ(card_out, show["card"]);

    // The card's Big Five is the personality's baseline.
    auto relationship = os1({"relationship", "--json", "--user", "sam"});
    ASSERT_EQ(relationship.exit_code, 0) << relationship.err;
    json r = parse(relationship);
    EXPECT_DOUBLE_EQ(r["personality"]["openness"]["baseline"].get<double>(), 0.9);
    EXPECT_DOUBLE_EQ(r["personality"]["neuroticism"]["baseline"].get<double>(), 0.2);
    EXPECT_DOUBLE_EQ(r["personality"]["extraversion"]["baseline"].get<double>(), 0.5);

    // The exported card imports again, for another user, as PNG too.
    const fs::path png = m_home / "juniper.png";
    ASSERT_EQ(os1({"persona", "export", png.string(), "--png", "--user", "sam"}).exit_code, 0);
    auto again = os1({"persona", "import", png.string(), "--user", "kim"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(parse(os1({"persona", "show", "--json", "--user", "kim"}))["card"], show["card"]);
}

// Export replaces only a regular file: a FIFO, a device behind a symlink or a folder stays what
// it was; a symlink to a file writes that file; "-" is standard output.
TEST_F(AffectCli, PersonaExportWritesOnlyRegularFilesOrStandardOutput) {
    ASSERT_EQ(os1({"persona", "import", write("juniper.json", juniper_card).string(), "--user", "sam"}).exit_code, 0);
    const json card = parse(os1({"persona", "show", "--json", "--user", "sam"}))["card"];

    auto to_stdout = os1({"persona", "export", "-", "--user", "sam"});
    ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
    EXPECT_EQ(json::parse(to_stdout.out, nullptr, false), card) << to_stdout.out;
    EXPECT_FALSE(fs::exists(fs::current_path() / "-"));
    auto png_to_pipe = os1({"persona", "export", "-", "--png", "--user", "sam"});
    ASSERT_EQ(png_to_pipe.exit_code, 0) << png_to_pipe.err;
    EXPECT_EQ(png_to_pipe.out.rfind("\x89PNG\r\n\x1a\n", 0), 0u);

    const fs::path fifo = m_home / "pipe";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const fs::path to_device = m_home / "to-null";
    fs::create_symlink("/dev/null", to_device);
    const fs::path folder = m_home / "folder";
    fs::create_directory(folder);
    const fs::path dangling = m_home / "dangling";
    fs::create_symlink(m_home / "missing" / "x.json", dangling);
    for (const auto& [target, what] : std::vector<std::pair<fs::path, std::string>>{
             {fifo, "a FIFO"}, {to_device, "a device"}, {folder, "a folder"}, {dangling, "a symlink to nothing"}}) {
        auto refused = os1({"persona", "export", target.string(), "--user", "sam"});
        EXPECT_EQ(refused.exit_code, 1) << target;
        EXPECT_EQ(refused.err.rfind("os1 persona export: " + target.string() + ": " + what, 0), 0u) << refused.err;
    }
    EXPECT_TRUE(fs::is_fifo(fifo));
    EXPECT_TRUE(fs::is_symlink(to_device));
    EXPECT_TRUE(fs::is_character_file("/dev/null"));
    EXPECT_TRUE(fs::is_directory(folder));
    EXPECT_TRUE(fs::is_symlink(dangling));

    const fs::path real = write("real.json", "old");
    const fs::path link = m_home / "link.json";
    fs::create_symlink(real, link);
    ASSERT_EQ(os1({"persona", "export", link.string(), "--user", "sam"}).exit_code, 0);
    EXPECT_TRUE(fs::is_symlink(link));
    std::ifstream in(real);
    EXPECT_EQ(json::parse(std::string(std::istreambuf_iterator<char>(in), {}), nullptr, false), card);
    for (const auto& entry : fs::directory_iterator(m_home))
        EXPECT_EQ(entry.path().filename().string().find(".json."), std::string::npos) << entry.path();
}

// An empty --home would fall back to the real data folder: it is a usage error instead.
TEST_F(AffectCli, EmptyHomeIsAUsageError) {
    auto result = run_process({OS1_BINARY, "--home", "", "persona", "show", "--user", "nobody-at-all"}, "",
                              {{"OS1_HOME", (m_home / "elsewhere").string()}, {"TZ", "UTC0"}});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find("--home is empty; name a folder, or leave --home out"), std::string::npos)
        << result.err;
    EXPECT_EQ(result.err.find("no user"), std::string::npos) << result.err;
}

TEST_F(AffectCli, BrokenCardIsAClearError) {
    struct Case {
        std::string file;
        std::string content;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {"truncated.json", std::string(juniper_card).substr(0, 80), "truncated.json"},
        {"not-a-card.json", R"({"hello": "world"})", "not-a-card.json"},
        {"empty.png", "\x89PNG\r\n\x1a\n", "empty.png"},
    };
    for (const Case& c : cases) {
        const fs::path file = write(c.file, c.content);
        auto result = os1({"persona", "import", file.string(), "--user", "sam"});
        EXPECT_EQ(result.exit_code, 1) << c.file << ": " << result.out;
        EXPECT_EQ(result.err.rfind("os1 persona import: ", 0), 0u) << result.err;
        EXPECT_NE(result.err.find(c.expected), std::string::npos) << result.err;
        EXPECT_TRUE(result.out.empty()) << result.out;
    }
    auto missing = os1({"persona", "import", (m_home / "nowhere.json").string()});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("nowhere.json"), std::string::npos) << missing.err;
    // Nothing was imported, and no user was set up by a failed import.
    EXPECT_FALSE(fs::exists(user_dir("sam")));
}

TEST_F(AffectCli, UnknownUserIsAClearError) {
    for (const std::vector<std::string>& command :
         std::vector<std::vector<std::string>>{{"mood", "--json"},
                                               {"relationship"},
                                               {"journal", "--json"},
                                               {"persona", "show"},
                                               {"persona", "export", (m_home / "x.json").string()}}) {
        std::vector<std::string> args = command;
        args.insert(args.end(), {"--user", "nobody"});
        auto result = os1(args);
        EXPECT_EQ(result.exit_code, 1) << command[0];
        EXPECT_NE(result.err.find("no user \"nobody\" in " + (m_home / "users").string()), std::string::npos)
            << result.err;
        EXPECT_NE(result.err.find("os1 chat --user nobody"), std::string::npos) << result.err;
        EXPECT_TRUE(result.out.empty()) << result.out;
    }
    EXPECT_FALSE(fs::exists(user_dir("nobody"))) << "a read-only command must not create the user";
    auto invalid = os1({"mood", "--user", "../x"});
    EXPECT_EQ(invalid.exit_code, 1);
    EXPECT_NE(invalid.err.find("not a valid user name"), std::string::npos) << invalid.err;
}

// Three days of conversation written through the library on the same clock and zone as the
// binary's, then compared field by field with what the commands print.
TEST_F(AffectCli, MoodRelationshipAndJournalShowTheLibraryState) {
    const std::vector<std::pair<std::chrono::minutes, std::string>> messages = {
        {-48h - 30min, "Thank you so much, you really helped me today!"},
        {-48h - 20min, "Honestly I feel so happy talking with you, haha"},
        {-24h - 30min, "I feel awful and sad today. My family is fighting."},
        {-24h - 25min, "Everything went wrong, I'm miserable."},
        {-3min, "I'm so lonely and tired of all this."},
    };
    fs::create_directories(user_dir("sam"));
    auto appraiser = os1::affect::Appraiser::load(os1::affect::default_vader_lexicon_path());
    ASSERT_TRUE(appraiser) << appraiser.error().message;
    {
        os1::affect::Timestamp clock = now;
        auto state = os1::affect::CompanionState::open(user_dir("sam"), os1::affect::BigFive{},
                                                       [&clock] { return clock; }, utc);
        ASSERT_TRUE(state) << state.error().message;
        for (const auto& [offset, text] : messages) {
            clock = now + offset;
            ASSERT_TRUE(state->observe_user_message(text, appraiser->appraise(text)));
        }
    }

    auto mood = os1({"mood", "--json", "--user", "sam"});
    auto relationship = os1({"relationship", "--json", "--user", "sam"});
    auto journal = os1({"journal", "--json", "--user", "sam"});
    ASSERT_EQ(mood.exit_code, 0) << mood.err;
    ASSERT_EQ(relationship.exit_code, 0) << relationship.err;
    ASSERT_EQ(journal.exit_code, 0) << journal.err;
    auto state = os1::affect::CompanionState::open(user_dir("sam"), os1::affect::BigFive{}, os1::fixed_clock(now), utc);
    ASSERT_TRUE(state) << state.error().message;

    const json m = parse(mood);
    const os1::affect::Pad pad = state->mood_now();
    EXPECT_EQ(m["label"], os1::affect::mood_label_name(os1::affect::label_for(pad)));
    EXPECT_DOUBLE_EQ(m["pleasure"].get<double>(), rounded(pad.pleasure, 1000));
    EXPECT_DOUBLE_EQ(m["arousal"].get<double>(), rounded(pad.arousal, 1000));
    EXPECT_DOUBLE_EQ(m["dominance"].get<double>(), rounded(pad.dominance, 1000));
    EXPECT_LT(m["pleasure"].get<double>(), os1::affect::MoodConfig{}.baseline.pleasure) << "the last message was sad";
    EXPECT_EQ(m["cause"], state->mood_cause());
    EXPECT_EQ(m["prompt_line"], os1::affect::mood_prompt_line(pad, state->mood_cause()));
    EXPECT_TRUE(m["sampling"].contains("temperature_delta"));
    EXPECT_TRUE(m["prosody"].contains("rate"));
    EXPECT_TRUE(m["model_appraisal"].is_null()) << "no model has appraised anything yet";

    const json r = parse(relationship);
    const os1::affect::Relationship rel = state->relationship_now();
    EXPECT_EQ(r["stage"], os1::affect::stage_name(rel.stage()));
    EXPECT_DOUBLE_EQ(r["closeness"].get<double>(), rounded(rel.scores().closeness, 1000));
    EXPECT_DOUBLE_EQ(r["trust"].get<double>(), rounded(rel.scores().trust, 1000));
    EXPECT_DOUBLE_EQ(r["familiarity"].get<double>(), rounded(rel.scores().familiarity, 1000));
    EXPECT_EQ(r["messages"], 5);
    EXPECT_EQ(r["days_of_contact"], rel.days_of_contact());
    EXPECT_EQ(rel.days_of_contact(), 3);
    EXPECT_EQ(r["last_contact_ms"], rel.last_contact().time_since_epoch().count());
    EXPECT_EQ(r["tone"], rel.prompt_fragment());
    const auto noticed = state->noticed();
    EXPECT_EQ(r["noticed"], noticed ? json(*noticed) : json());
    for (os1::affect::Trait t : os1::affect::all_traits)
        EXPECT_DOUBLE_EQ(r["personality"][std::string(os1::affect::trait_name(t))]["current"].get<double>(),
                         rounded(state->personality().current()[t], 1000));

    const json j = parse(journal);
    auto entries = state->journal(100);
    auto changes = state->changes(1000);
    ASSERT_TRUE(entries && changes);
    ASSERT_TRUE(j.is_array());
    ASSERT_EQ(j.size(), entries->size());
    ASSERT_EQ(entries->size(), 2u) << "the two finished days each have an entry";
    EXPECT_EQ(j[0]["day"], "2026-05-02");
    EXPECT_EQ(j[1]["day"], "2026-05-01");
    for (std::size_t i = 0; i < entries->size(); ++i) {
        const auto& e = entries->at(i);
        EXPECT_EQ(j[i]["id"], e.id);
        EXPECT_EQ(j[i]["day"], os1::affect::day_text(e.day));
        EXPECT_EQ(j[i]["text"], e.text);
        EXPECT_EQ(j[i]["summary"], e.summary);
        EXPECT_EQ(j[i]["author"], "summary");
        EXPECT_EQ(j[i]["written_at_ms"], e.at.time_since_epoch().count());
        std::vector<int64_t> cited;
        for (const auto& c : changes.value())
            if (c.journal_entry == e.id)
                cited.push_back(c.id);
        ASSERT_EQ(j[i]["changes"].size(), cited.size());
        for (std::size_t k = 0; k < cited.size(); ++k)
            EXPECT_EQ(j[i]["changes"][k]["id"], cited[k]);
    }
    // The sad day's entry says so.
    EXPECT_NE(j[0]["text"].get<std::string>().find("They seemed low"), std::string::npos) << j[0]["text"];

    auto plain = os1({"journal", "--user", "sam"});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_NE(plain.out.find(entries->front().text), std::string::npos) << plain.out;
}

// The binary's days are the local days of TZ. A message at 07:00 in Tokyo (22:00 UTC the day
// before) is read at 01:00 the next Tokyo morning: that day is over in Tokyo, not yet in UTC.
TEST_F(AffectCli, JournalDaysFollowTheTimeZoneInTZ) {
    const os1::Timestamp message_at = os1::from_unix_seconds(1777759200);  // 2026-05-02T22:00:00Z
    const std::pair<std::string, std::string> next_night = {"OS1_NOW", "2026-05-03T16:00:00Z"};
    fs::create_directories(user_dir("sam"));
    {
        auto state = os1::affect::CompanionState::open(user_dir("sam"), os1::affect::BigFive{},
                                                       os1::fixed_clock(message_at), os1::fixed_utc_offset(9h));
        ASSERT_TRUE(state) << state.error().message;
        auto appraiser = os1::affect::Appraiser::load(os1::affect::default_vader_lexicon_path());
        ASSERT_TRUE(appraiser) << appraiser.error().message;
        const std::string text = "Good morning, I slept well.";
        ASSERT_TRUE(state->observe_user_message(text, appraiser->appraise(text)));
    }
    // POSIX zone rules, which need no time zone database: UTC, then Japan (UTC+9).
    auto in_utc = os1({"journal", "--json", "--user", "sam"}, {}, {next_night, {"TZ", "UTC0"}});
    ASSERT_EQ(in_utc.exit_code, 0) << in_utc.err;
    EXPECT_EQ(parse(in_utc), json::array()) << "2026-05-03 is not over in UTC";

    auto in_tokyo = os1({"journal", "--json", "--user", "sam"}, {}, {next_night, {"TZ", "JST-9"}});
    ASSERT_EQ(in_tokyo.exit_code, 0) << in_tokyo.err;
    const json entries = parse(in_tokyo);
    ASSERT_EQ(entries.size(), 1u) << in_tokyo.out;
    EXPECT_EQ(entries[0]["day"], "2026-05-03");
    EXPECT_EQ(entries[0]["written_at_ms"], 1777824000000) << "written at OS1_NOW";
}

TEST_F(AffectCli, InvalidOs1NowIsAClearError) {
    for (const char* bad : {"yesterday", "2026-13-01T00:00:00Z", "2026-05-03T12:00:00Zoops"}) {
        auto result = os1({"mood", "--user", "sam"}, {}, {{"OS1_NOW", bad}});
        EXPECT_EQ(result.exit_code, 2) << bad;
        EXPECT_EQ(result.err.rfind("os1: OS1_NOW: ", 0), 0u) << result.err;
        EXPECT_NE(result.err.find(bad), std::string::npos) << result.err;
        EXPECT_NE(result.err.find("such as 2026-05-03T12:00:00Z"), std::string::npos) << result.err;
        EXPECT_TRUE(result.out.empty()) << result.out;
    }
}

TEST_F(AffectCli, AppraiseReadsLinesAndPrintsOneJsonEach) {
    const std::vector<std::string> lines = {"I love this!", "I am so sad and lonely today.", "", "the weather"};
    std::string input;
    for (const std::string& l : lines)
        input += l + "\n";
    auto result = os1({"affect", "appraise", "--json"}, input);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    auto appraiser = os1::affect::Appraiser::load(os1::affect::default_vader_lexicon_path());
    ASSERT_TRUE(appraiser) << appraiser.error().message;

    std::istringstream out(result.out);
    std::string line;
    std::size_t n = 0;
    while (std::getline(out, line)) {
        ASSERT_LT(n, lines.size()) << "more output lines than input lines: " << line;
        // Ordered, to check that the emotions come in the documented order.
        const nlohmann::ordered_json a = nlohmann::ordered_json::parse(line, nullptr, false);
        ASSERT_TRUE(a.is_object()) << line;
        const os1::affect::Appraisal expected = appraiser->appraise(lines[n]);
        EXPECT_DOUBLE_EQ(a["valence"].get<double>(), rounded(expected.valence, 10000)) << lines[n];
        EXPECT_DOUBLE_EQ(a["compound"].get<double>(), rounded(expected.compound, 10000)) << lines[n];
        EXPECT_DOUBLE_EQ(a["arousal"].get<double>(), rounded(expected.arousal, 10000)) << lines[n];
        ASSERT_EQ(a["emotions"].size(), os1::affect::emotion_count);
        std::size_t k = 0;
        for (const auto& [name, value] : a["emotions"].items()) {
            const os1::affect::Emotion e = os1::affect::all_emotions[k++];
            EXPECT_EQ(name, os1::affect::emotion_name(e));
            EXPECT_DOUBLE_EQ(value.get<double>(), rounded(expected.emotions[e], 10000)) << name;
        }
        ++n;
    }
    EXPECT_EQ(n, lines.size());
    // Spot checks that the values mean something.
    const json love = json::parse(result.out.substr(0, result.out.find('\n')));
    EXPECT_GT(love["valence"].get<double>(), 0.5);

    // A line that is not UTF-8 gets an error object in its place, and exit code 1.
    auto bad = os1({"affect", "appraise", "--json"}, "fine\ncaf\xC3\n");
    EXPECT_EQ(bad.exit_code, 1);
    std::istringstream bad_out(bad.out);
    std::string first, second;
    std::getline(bad_out, first);
    std::getline(bad_out, second);
    EXPECT_TRUE(json::parse(first).contains("valence")) << first;
    EXPECT_EQ(json::parse(second), json({{"error", "line 2: invalid utf-8"}})) << second;
}

}  // namespace
