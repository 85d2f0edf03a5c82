// The model's part in the companion's feelings on a real (random-weight) model: its appraisal
// under the GBNF grammar ends as a validated blend or a reported rejection, and journal entries
// are written by the model or keep the structured summary with the reason. Random weights
// write gibberish, so these tests check mechanics, never wording.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "affect/affect.h"
#include "affect/companion-state.h"
#include "affect/model-appraisal.h"
#include "companion/journal-writer.h"
#include "companion/model-appraiser.h"
#include "llm/llm.h"
#include "memory/memory.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

namespace {

using namespace os1;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;

const std::string model_file = (fs::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-f16.gguf").string();

std::unique_ptr<llm::Backend> open_engine() {
    llm::LocalEngineOptions options;
    options.model_path = model_file;
    options.parallel = 1;
    options.context_size = 2048;
    options.threads = 1;
    auto engine = llm::open_local_engine(options);
    EXPECT_TRUE(engine) << engine.error().message;
    return engine ? engine.release_value() : nullptr;
}

fs::path fresh_dir(const std::string& name) {
    return test::unique_temp_dir("affect-model-" + name);
}

void expect_valid(const affect::Appraisal& a) {
    EXPECT_GE(a.valence, -1.0);
    EXPECT_LE(a.valence, 1.0);
    EXPECT_GE(a.arousal, 0.0);
    EXPECT_LE(a.arousal, 1.0);
    for (affect::Emotion e : affect::all_emotions) {
        EXPECT_GE(a.emotions[e], 0.0);
        EXPECT_LE(a.emotions[e], 1.0);
    }
}

TEST(AffectModel, AppraisalFollowsTheGrammarAndEndsValidatedOrRejected) {
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    const std::string text = "I failed my exam and I feel awful.";
    auto raw = engine->submit(companion::model_appraisal_request(text))->collect();
    ASSERT_TRUE(raw) << raw.error().message;  // a grammar llama.cpp refuses fails here
    std::string compact;
    for (char c : raw.value())
        if (c != ' ' && c != '\t' && c != '\n')
            compact += c;
    EXPECT_EQ(compact.rfind("{\"valence\":", 0), 0u) << raw.value();

    auto appraisal = companion::appraise_with_model(*engine, text);
    if (appraisal) {
        expect_valid(appraisal.value());
        // The blend stays in range too, and moves a companion's mood by a logged correction.
        auto dir = fresh_dir("blend");
        affect::Timestamp clock{std::chrono::sys_days{std::chrono::year{2026} / 1 / 5}.time_since_epoch() + 19h};
        auto state = affect::CompanionState::open(
            dir, affect::BigFive{}, [&clock] { return clock; }, fixed_utc_offset(0s));
        ASSERT_TRUE(state) << state.error().message;
        auto rules = affect::Appraiser::load(affect::default_vader_lexicon_path());
        ASSERT_TRUE(rules);
        ASSERT_TRUE(state->observe_user_message(text, rules->appraise(text)));
        auto blended = state->apply_model_appraisal(clock, appraisal.value());
        ASSERT_TRUE(blended) << blended.error().message;
        ASSERT_TRUE(blended->has_value());
        expect_valid(*blended.value());
        auto log = state->model_appraisals(1);
        ASSERT_TRUE(log && log->size() == 1);
        EXPECT_EQ(log->front().status, "blended");
    } else {
        // Only an incomplete reply (cut off by the token limit) can fail the checks here.
        EXPECT_EQ(appraisal.error().message.rfind("model appraisal: ", 0), 0u) << appraisal.error().message;
    }
}

TEST(AffectModel, JournalEntryIsWrittenByTheModelOrKeepsTheSummary) {
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    const auto dir = fresh_dir("journal");
    const UtcOffset zone = fixed_utc_offset(9h);  // Tokyo
    const int64_t day = std::chrono::sys_days{std::chrono::year{2026} / 1 / 14}.time_since_epoch().count();
    affect::Timestamp clock = local_day_start(day, zone) + 23h + 30min;
    {
        auto store = memory::MemoryStore::open(dir);
        ASSERT_TRUE(store) << store.error().message;
        ASSERT_TRUE(
            store->import_episodes({{"e1", "c", "Sam", "user",
                                     std::chrono::duration_cast<std::chrono::seconds>(clock.time_since_epoch()).count(),
                                     "I planted tomatoes in the garden today."}}));
    }
    auto state = affect::CompanionState::open(
        dir, affect::BigFive{}, [&clock] { return clock; }, zone);
    ASSERT_TRUE(state) << state.error().message;
    auto rules = affect::Appraiser::load(affect::default_vader_lexicon_path());
    ASSERT_TRUE(rules);
    const std::string text = "I planted tomatoes in the garden today.";
    ASSERT_TRUE(state->observe_user_message(text, rules->appraise(text)));
    clock += 8h;
    auto id = state->reflect_if_due();
    ASSERT_TRUE(id && id.value());

    auto db = Database::open(dir / "os1.db");
    ASSERT_TRUE(db);
    auto written = companion::write_waiting_journal_entries(*engine, db.value(), zone, "Ada");
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_EQ(written->written + written->failed, 1);
    auto entry = state->journal(1);
    ASSERT_TRUE(entry && entry->size() == 1);
    const affect::JournalEntry& e = entry->front();
    EXPECT_EQ(e.id, *id.value());
    EXPECT_EQ(affect::day_text(e.day), "2026-01-14");
    EXPECT_NE(e.summary.find("2026-01-14: 1 message"), std::string::npos) << e.summary;
    if (written->written == 1) {
        EXPECT_EQ(e.author, affect::JournalAuthor::model);
        EXPECT_FALSE(e.text.empty());
        EXPECT_TRUE(e.writer_note.empty());
    } else {
        EXPECT_EQ(e.author, affect::JournalAuthor::summary);
        EXPECT_EQ(e.text, e.summary);
        EXPECT_EQ(e.writer_note.rfind("journal writer: ", 0), 0u) << e.writer_note;
    }
}

// The whole path through `os1 chat`: a day of contact that ended yesterday is journaled when the
// user comes back, the model writes (or fails to write) the entry after the reply, and the
// model's appraisal of the message ends in the mood's log; `os1 journal` and `os1 mood` show it.
// Every process runs at the same fixed instant (OS1_NOW) in UTC (TZ).
TEST(AffectModel, ChatRunsTheModelsAppraisalAndJournalOffTheHotPath) {
    const Timestamp now = from_unix_seconds(1777809600);  // 2026-05-03T12:00:00Z
    const test::EnvironmentVariables at_now = {{"OS1_NOW", "2026-05-03T12:00:00Z"}, {"TZ", "UTC0"}};
    const fs::path home = fresh_dir("chat");
    const fs::path user = home / "users" / "default";
    fs::create_directories(user);
    {
        auto state =
            affect::CompanionState::open(user, affect::BigFive{}, fixed_clock(now - 26h), fixed_utc_offset(0s));
        ASSERT_TRUE(state) << state.error().message;
        auto rules = affect::Appraiser::load(affect::default_vader_lexicon_path());
        ASSERT_TRUE(rules);
        const std::string text = "I had a lovely walk in the park.";
        ASSERT_TRUE(state->observe_user_message(text, rules->appraise(text)));
    }
    auto chat = test::run_process({OS1_BINARY, "--home", home.string(), "chat", "--model", model_file, "--temperature",
                                   "0", "-t", "1", "--max-tokens", "6"},
                                  "I feel sad and lonely today.\n/quit\n", at_now);
    ASSERT_EQ(chat.exit_code, 0) << chat.err;

    auto journal = test::run_process({OS1_BINARY, "--home", home.string(), "journal", "--json"}, {}, at_now);
    ASSERT_EQ(journal.exit_code, 0) << journal.err;
    const json entries = json::parse(journal.out);
    ASSERT_EQ(entries.size(), 1u) << journal.out;
    const json& e = entries[0];
    EXPECT_NE(e["summary"].get<std::string>().find("1 message"), std::string::npos) << e;
    if (e["author"] == "model") {
        EXPECT_FALSE(e["text"].get<std::string>().empty());
        EXPECT_EQ(e["writer_note"], "");
    } else {
        EXPECT_EQ(e["author"], "summary");
        EXPECT_EQ(e["text"], e["summary"]);
        EXPECT_EQ(e["writer_note"].get<std::string>().rfind("journal writer: ", 0), 0u) << e;
    }

    auto mood = test::run_process({OS1_BINARY, "--home", home.string(), "mood", "--json"}, {}, at_now);
    ASSERT_EQ(mood.exit_code, 0) << mood.err;
    const json m = json::parse(mood.out);
    ASSERT_TRUE(m["model_appraisal"].is_object()) << mood.out;
    const std::string status = m["model_appraisal"]["status"];
    EXPECT_TRUE(status == "blended" || status == "rejected") << status;
    if (status == "rejected")
        EXPECT_EQ(m["model_appraisal"]["note"].get<std::string>().rfind("model appraisal: ", 0), 0u) << mood.out;
    else
        EXPECT_EQ(m["model_appraisal"]["note"].get<std::string>().rfind("mood corrected by", 0), 0u) << mood.out;
}

}  // namespace
