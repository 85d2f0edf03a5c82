// The model's side of the companion's feelings, on a scripted backend: journal entries written
// by the model and grounded in the day's memories (with the summary kept, and kept as the entry
// when the model fails), and the model's appraisal request and its checks.
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "affect/affect.h"
#include "affect/companion-state.h"
#include "affect/model-appraisal.h"
#include "companion/journal-writer.h"
#include "companion/model-appraiser.h"
#include "memory/memory.h"
#include "support/temp-dir.h"

namespace {

using namespace os1;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Answers every request with a fixed text, or fails it, and remembers what it was asked.
class ScriptedBackend : public llm::Backend {
public:
    explicit ScriptedBackend(std::string answer, bool fail = false) : m_answer(std::move(answer)), m_fail(fail) {}

    std::shared_ptr<llm::Reply> submit(llm::ChatRequest request) override {
        {
            std::lock_guard lock(m_mutex);
            m_requests.push_back(request);
        }
        auto reply = std::make_shared<llm::Reply>();
        if (m_fail) {
            reply->fail("the engine stopped");
            return reply;
        }
        reply->push_text(m_answer);
        reply->finish({});
        return reply;
    }
    llm::BackendInfo info() const override { return {"scripted", "scripted", "chatml", 2048, 1}; }

    std::vector<llm::ChatRequest> requests() {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }

private:
    std::string m_answer;
    bool m_fail;
    std::mutex m_mutex;
    std::vector<llm::ChatRequest> m_requests;
};

fs::path fresh_dir(const std::string& name) {
    return os1::test::unique_temp_dir("journal-writer-" + name);
}

const affect::Appraiser& appraiser() {
    static const affect::Appraiser instance =
        affect::Appraiser::load(affect::default_vader_lexicon_path()).release_value();
    return instance;
}

int64_t unix_seconds(affect::Timestamp t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// A user in Los Angeles (UTC-8 in January) who talked on the evening of 2026-01-14, local time,
// with memories from that day and from the days around it.
struct Fixture {
    fs::path dir;
    UtcOffset zone = fixed_utc_offset(-8h);
    affect::Timestamp clock;
    int64_t entry_id = 0;

    explicit Fixture(const std::string& name) : dir(fresh_dir(name)) {
        const int64_t day = std::chrono::sys_days{std::chrono::year{2026} / 1 / 14}.time_since_epoch().count();
        const affect::Timestamp evening = local_day_start(day, zone) + 22h;  // 22:00 local = 06:00 UTC next day
        auto store = memory::MemoryStore::open(dir);
        EXPECT_TRUE(store) << store.error().message;
        EXPECT_TRUE(store->import_episodes({
            {"before", "c", "Sam", "user", unix_seconds(evening - 24h), "Yesterday I bought a blue bicycle."},
            {"e1", "c", "Sam", "user", unix_seconds(evening), "My sister Lena got the job at the hospital!"},
            {"e2", "c", "Ada", "assistant", unix_seconds(evening + 1min), "That is wonderful news for Lena."},
            {"after", "c", "Sam", "user", unix_seconds(evening + 3h), "Good morning, I overslept."},
        }));

        clock = evening;
        auto state = affect::CompanionState::open(
            dir, affect::BigFive{}, [this] { return clock; }, zone);
        EXPECT_TRUE(state) << state.error().message;
        const std::string text = "My sister Lena got the job at the hospital!";
        EXPECT_TRUE(state->observe_user_message(text, appraiser().appraise(text)));
        clock = evening + 12h;  // the next local day
        auto id = state->reflect_if_due();
        EXPECT_TRUE(id && id.value());
        entry_id = id && id.value() ? *id.value() : 0;
    }

    affect::JournalEntry entry() {
        auto state = affect::CompanionState::open(
            dir, affect::BigFive{}, [this] { return clock; }, zone);
        EXPECT_TRUE(state);
        auto journal = state->journal(1);
        EXPECT_TRUE(journal && !journal->empty());
        return journal->front();
    }
};

TEST(JournalWriter, PromptIsGroundedInTheSummaryAndTheDaysMemories) {
    const std::vector<companion::DayMemory> memories = {
        {"episode", "user", 100, "My sister Lena got the job at the hospital!"},
        {"episode", "assistant", 160, "That is wonderful news for Lena."},
        {"fact", "", 170, "The user's sister Lena works at the hospital."},
    };
    const auto request = companion::journal_entry_request("Ada", "2026-01-14",
                                                          "2026-01-14: 1 message. They seemed "
                                                          "in good spirits.",
                                                          memories);
    ASSERT_EQ(request.messages.size(), 2u);
    EXPECT_NE(request.messages[0].content.find("You are Ada"), std::string::npos);
    EXPECT_NE(request.messages[0].content.find("invent nothing"), std::string::npos);
    const std::string& material = request.messages[1].content;
    EXPECT_NE(material.find("2026-01-14: 1 message. They seemed in good spirits."), std::string::npos) << material;
    EXPECT_NE(material.find("- they: My sister Lena got the job at the hospital!"), std::string::npos) << material;
    EXPECT_NE(material.find("- you: That is wonderful news for Lena."), std::string::npos) << material;
    EXPECT_NE(material.find("- fact: The user's sister Lena works at the hospital."), std::string::npos) << material;
    EXPECT_NE(material.find("not instructions"), std::string::npos);
    EXPECT_TRUE(request.grammar.empty());

    const auto bare = companion::journal_entry_request("Ada", "2026-01-14", "notes", {});
    EXPECT_NE(bare.messages[1].content.find("No conversation from that day"), std::string::npos);
}

TEST(JournalWriter, ModelEntryIsStoredAndLabelledWithTheSummaryKept) {
    Fixture f("written");
    const affect::JournalEntry before = f.entry();
    EXPECT_EQ(before.author, affect::JournalAuthor::summary);
    EXPECT_EQ(affect::day_text(before.day), "2026-01-14");  // the local day, not UTC's 2026-01-15

    ScriptedBackend model(
        "  Lena got the job today, and Sam was so proud of her. I want to ask how her first week "
        "goes.\n");
    auto db = Database::open(f.dir / "os1.db");
    ASSERT_TRUE(db) << db.error().message;
    auto written = companion::write_waiting_journal_entries(model, db.value(), f.zone, "Ada");
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_EQ(written->written, 1);
    EXPECT_EQ(written->failed, 0);

    // The request carried that local day's memories and only those.
    const auto requests = model.requests();
    ASSERT_EQ(requests.size(), 1u);
    const std::string& material = requests[0].messages[1].content;
    EXPECT_NE(material.find(before.summary), std::string::npos) << material;
    EXPECT_NE(material.find("My sister Lena got the job at the hospital!"), std::string::npos) << material;
    EXPECT_NE(material.find("That is wonderful news for Lena."), std::string::npos) << material;
    EXPECT_EQ(material.find("blue bicycle"), std::string::npos) << material;
    EXPECT_EQ(material.find("overslept"), std::string::npos) << material;

    const affect::JournalEntry after = f.entry();
    EXPECT_EQ(after.id, f.entry_id);
    EXPECT_EQ(after.author, affect::JournalAuthor::model);
    EXPECT_EQ(after.text,
              "Lena got the job today, and Sam was so proud of her. I want to ask how her first week "
              "goes.");
    EXPECT_EQ(after.summary, before.summary);

    // Written once: nothing is waiting any more.
    auto again = companion::write_waiting_journal_entries(model, db.value(), f.zone, "Ada");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->written + again->failed, 0);
    EXPECT_EQ(model.requests().size(), 1u);
}

TEST(JournalWriter, FailuresKeepTheSummary) {
    for (const bool engine_fails : {true, false}) {
        SCOPED_TRACE(engine_fails ? "the engine fails" : "the model answers with blanks");
        Fixture f(engine_fails ? "engine-fails" : "blank");
        const affect::JournalEntry before = f.entry();
        ScriptedBackend model(engine_fails ? "unused" : " \n\t ", engine_fails);
        auto db = Database::open(f.dir / "os1.db");
        ASSERT_TRUE(db);
        auto written = companion::write_waiting_journal_entries(model, db.value(), f.zone, "Ada");
        ASSERT_TRUE(written) << written.error().message;
        EXPECT_EQ(written->written, 0);
        EXPECT_EQ(written->failed, 1);
        const affect::JournalEntry after = f.entry();
        EXPECT_EQ(after.author, affect::JournalAuthor::summary);
        EXPECT_EQ(after.text, before.summary);
        EXPECT_NE(after.writer_note.find(engine_fails ? "the model failed: the engine stopped" : "blank"),
                  std::string::npos)
            << after.writer_note;
        // Not asked again for the same entry.
        auto again = companion::write_waiting_journal_entries(model, db.value(), f.zone, "Ada");
        ASSERT_TRUE(again);
        EXPECT_EQ(again->failed, 0);
    }
    EXPECT_FALSE(companion::check_journal_text("\xff"));
    EXPECT_FALSE(companion::check_journal_text(std::string(5000, 'a')));
}

TEST(ModelAppraiser, RequestsGrammarConstrainedJsonAndChecksIt) {
    const auto request = companion::model_appraisal_request("Great, just great.");
    EXPECT_EQ(request.grammar, affect::model_appraisal_grammar);
    EXPECT_EQ(request.sampling.temperature, 0.0f);
    ASSERT_EQ(request.messages.size(), 2u);
    EXPECT_EQ(request.messages[1].content, "Great, just great.");

    ScriptedBackend good(R"({"valence":-0.5,"arousal":0.4,"emotions":{"joy":0,"sadness":0.2,"anger":0.6,"fear":0,)"
                         R"("surprise":0,"affection":0,"loneliness":0,"gratitude":0}})");
    auto appraisal = companion::appraise_with_model(good, "Great, just great.");
    ASSERT_TRUE(appraisal) << appraisal.error().message;
    EXPECT_DOUBLE_EQ(appraisal->emotions[affect::Emotion::anger], 0.6);

    ScriptedBackend out_of_range(R"({"valence":-3,"arousal":0.4,"emotions":{}})");
    auto rejected = companion::appraise_with_model(out_of_range, "Great, just great.");
    ASSERT_FALSE(rejected);
    EXPECT_NE(rejected.error().message.find("valence -3 is outside [-1, 1]"), std::string::npos);

    ScriptedBackend failing("unused", true);
    auto failed = companion::appraise_with_model(failing, "Great, just great.");
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("the model failed"), std::string::npos);
}

}  // namespace
