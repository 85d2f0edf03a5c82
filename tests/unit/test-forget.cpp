// Forgetting means gone: a forgotten memory leaves no trace in the memory, its index and vectors,
// the conversation it came from (a later sync never brings it back), what was drawn only from
// it, the journal, the saved KV caches or the backups. Real SQLite files, fixed times and zones.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/canned-backend.h"
#include "affect/companion-state.h"
#include "core/backup.h"
#include "llm/llm.h"
#include "memory/conversation-store.h"
#include "memory/memory.h"
#include "memory/synthetic-embedder.h"
#include "support/temp-dir.h"

using namespace os1;
using namespace os1::memory;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string file_bytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// True when `needle` occurs in the database file or its write-ahead log.
bool on_disk(const fs::path& dir, const std::string& needle) {
    return file_bytes(dir / "os1.db").find(needle) != std::string::npos ||
           file_bytes(dir / "os1.db-wal").find(needle) != std::string::npos;
}

int64_t scalar(Database& db, const std::string& sql) {
    auto q = db.prepare(sql);
    EXPECT_TRUE(q) << q.error().message;
    auto row = q->step();
    EXPECT_TRUE(row && row.value()) << sql;
    return q->column_int(0);
}

// True when a hit, or the context lent to one, says `word`.
bool recalls(const std::vector<Hit>& hits, const std::string& word) {
    for (const Hit& hit : hits) {
        if (hit.text.find(word) != std::string::npos)
            return true;
        for (const std::string& line : hit.context)
            if (line.find(word) != std::string::npos)
                return true;
    }
    return false;
}

int64_t memory_of_turn(MemoryStore& store, int64_t turn_id) {
    auto q = store.database().prepare("SELECT id FROM memories WHERE source_id = ?");
    EXPECT_TRUE(q);
    q->bind(1, "turn:" + std::to_string(turn_id));
    auto row = q->step();
    EXPECT_TRUE(row && row.value()) << "turn " << turn_id << " was not copied into memory";
    return q->column_int(0);
}

const int64_t t0 = 1714730400;  // 2024-05-03T10:00:00Z

SearchOptions at_t0() {
    SearchOptions options;
    options.now = t0 + 86400;
    options.zone = fixed_utc_offset(std::chrono::seconds(0));
    return options;
}

// Each test gets a fresh folder of its own, so that runs never share files.
class Forget : public ::testing::Test {
protected:
    void SetUp() override {
        dir = os1::test::unique_temp_dir("forget");
        ASSERT_FALSE(dir.empty());
    }
    fs::path dir;
};

}  // namespace

TEST_F(Forget, AChatTurnStaysForgottenAfterChattingAgain) {
    auto conversations = ConversationStore::open(dir);
    ASSERT_TRUE(conversations) << conversations.error().message;
    const int64_t c = conversations->create_conversation("", t0).value();
    const int64_t secret_turn =
        conversations->append_turn(c, "user", "I keep the spare key under the blue flowerpot.", t0).value();
    ASSERT_TRUE(conversations->append_turn(c, "assistant", "Good to know where it is.", t0 + 5));

    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_EQ(store->sync_conversation_turns().value(), 2u);
    ASSERT_TRUE(recalls(store->search("spare key flowerpot", at_t0()).value(), "flowerpot"));
    const int64_t id = memory_of_turn(store.value(), secret_turn);

    auto report = store->forget(id);
    ASSERT_TRUE(report) << report.error().message;
    ASSERT_TRUE(report.value());
    ASSERT_EQ(report.value()->memories.size(), 1u);
    EXPECT_EQ(report.value()->memories[0].id, id);
    EXPECT_EQ(report.value()->memories[0].text, "I keep the spare key under the blue flowerpot.");
    EXPECT_EQ(report.value()->memories[0].time, t0);
    EXPECT_EQ(report.value()->conversations, std::vector<int64_t>{c});
    EXPECT_EQ(report.value()->turns_deleted, 1u);
    // The turn is gone from the conversation; the reply stays.
    auto left = conversations->turns(c).value();
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].role, "assistant");

    // Chat again: new turns are copied, the forgotten one never comes back.
    ASSERT_TRUE(conversations->append_turn(c, "user", "Let's plan the weekend.", t0 + 60));
    ASSERT_TRUE(conversations->append_turn(c, "assistant", "Gladly, what do you have in mind?", t0 + 65));
    EXPECT_EQ(store->sync_conversation_turns().value(), 2u);
    EXPECT_EQ(store->sync_conversation_turns().value(), 0u);
    EXPECT_EQ(store->count().value(), 3u);
    auto hits = store->search("spare key flowerpot", at_t0());
    ASSERT_TRUE(hits) << hits.error().message;
    EXPECT_FALSE(recalls(hits.value(), "flowerpot"));
    EXPECT_FALSE(on_disk(dir, "flowerpot"));

    // A memory that is not there is reported as such, and changes nothing.
    auto again = store->forget(id);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again.value());
    EXPECT_EQ(store->count().value(), 3u);
}

TEST_F(Forget, ALearningJobStillHoldingTheTurnDoesNotBringItBack) {
    auto conversations = ConversationStore::open(dir);
    ASSERT_TRUE(conversations);
    const int64_t c = conversations->create_conversation("", t0).value();
    const std::string secret = "My safe combination is 31-22-7.";
    const auto [user_turn, reply_turn] =
        conversations->append_exchange(c, secret, t0, "Noted, I will keep it safe.", Interrupted::No, t0 + 5).value();
    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store);
    ASSERT_EQ(store->sync_conversation_turns().value(), 2u);
    ASSERT_TRUE(store->forget(memory_of_turn(store.value(), user_turn)).value());

    // The learning job for that exchange was queued before the forget and runs after it; the
    // model names the forgotten turn anyway.
    const std::string user_id = "turn:" + std::to_string(user_turn);
    const std::string reply_id = "turn:" + std::to_string(reply_turn);
    const std::vector<EpisodeInput> exchange = {
        {user_id, std::to_string(c), "user", "user", t0, secret},
        {reply_id, std::to_string(c), "assistant", "assistant", t0 + 5, "Noted, I will keep it safe."}};
    test::CannedBackend model(R"({"facts":[{"subject":"user","predicate":"safe_code","text":"The safe opens with 31-22-7.",)"
                        R"("importance":0.9,"turns":[")" +
                        user_id + R"("]}]})");
    auto extracted = extract_facts(model, store.value(), exchange, "You are Ada.", t0 + 10,
                                   fixed_utc_offset(std::chrono::seconds(0)));
    ASSERT_TRUE(extracted) << extracted.error().message;
    EXPECT_TRUE(extracted->stored.empty());
    for (const llm::Message& message : model.last.messages)
        EXPECT_EQ(message.content.find("31-22-7"), std::string::npos) << "the model was shown the forgotten turn";
    EXPECT_EQ(store->count().value(), 1u);
    EXPECT_EQ(store->sync_conversation_turns().value(), 0u);
    EXPECT_FALSE(recalls(store->search("safe combination", at_t0()).value(), "31-22-7"));
}

TEST_F(Forget, TheFullTextEntryAndItsWordsAreGoneFromDisk) {
    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store);
    auto ids = store->import_episodes({
        {"a", "c1", "Sam", "user", t0, "I live in Paris."},
        {"b", "c1", "Sam", "user", t0 + 10, "My childhood nickname was Zanzibarquokka."},
        {"c", "c1", "Sam", "user", t0 + 20, "Paris is rainy today."},
    });
    ASSERT_TRUE(ids);
    Database& db = store->database();
    const std::string match = "SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ";
    ASSERT_EQ(scalar(db, match + "'zanzibarquokka'"), 1);
    ASSERT_TRUE(on_disk(dir, "zanzibarquokka"));  // the index's own copy of the word (lower case)

    ASSERT_TRUE(store->forget(ids.value()[1]).value());
    EXPECT_EQ(scalar(db, match + "'zanzibarquokka'"), 0);
    EXPECT_EQ(scalar(db, "SELECT count(*) FROM memories_fts_docsize WHERE id = " + std::to_string(ids.value()[1])), 0);
    EXPECT_FALSE(on_disk(dir, "zanzibarquokka"));
    EXPECT_FALSE(on_disk(dir, "Zanzibarquokka"));
    // The index still serves the rest.
    EXPECT_EQ(scalar(db, match + "'paris'"), 2);
}

TEST_F(Forget, TheDenseVectorsGoWithTheMemory) {
    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->set_embedder(std::shared_ptr<llm::Embedder>(make_synthetic_embedder(64))));
    auto ids = store->import_episodes({
        {"a", "c1", "Sam", "user", t0, "My bank PIN starts with four sevens."},
        {"b", "c1", "Sam", "user", t0 + 10, "The garden needs watering."},
    });
    ASSERT_TRUE(ids);
    const int64_t secret = ids.value()[0];
    const std::string vectors_of = "SELECT count(*) FROM memory_vectors WHERE memory_id = ";
    ASSERT_EQ(scalar(store->database(), vectors_of + std::to_string(secret)), 1);
    ASSERT_TRUE(recalls(store->search("bank PIN sevens", at_t0()).value(), "PIN"));

    ASSERT_TRUE(store->forget(secret).value());
    EXPECT_EQ(scalar(store->database(), vectors_of + std::to_string(secret)), 0);
    EXPECT_EQ(scalar(store->database(), "SELECT count(*) FROM memory_vectors"), 1);
    EXPECT_FALSE(recalls(store->search("bank PIN sevens", at_t0()).value(), "PIN"));
    // A new connection, whose index is loaded from the table, finds nothing either.
    auto other = MemoryStore::open(dir);
    ASSERT_TRUE(other);
    ASSERT_TRUE(other->set_embedder(std::shared_ptr<llm::Embedder>(make_synthetic_embedder(64))));
    EXPECT_FALSE(recalls(other->search("bank PIN sevens", at_t0()).value(), "PIN"));
}

TEST_F(Forget, WhatWasDrawnOnlyFromItGoesAndTheRestLosesTheLink) {
    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store);
    auto ids = store->import_episodes({
        {"t1", "c1", "Sam", "user", t0, "I live in Paris with my cat Miso."},
        {"t2", "c1", "os1", "assistant", t0 + 10, "Paris is lovely."},
        {"t3", "c1", "Sam", "user", t0 + 20, "Miso sleeps all day."},
    });
    ASSERT_TRUE(ids);
    const int64_t t1 = ids.value()[0], t2 = ids.value()[1];
    const int64_t only = store->add_fact({"user", "lives_in", "Sam lives in Paris.", 0.8, t0}, {"t1"}).value();
    const int64_t shared = store->add_fact({"user", "has_pet", "Sam has a cat, Miso.", 0.7, t0}, {"t1", "t3"}).value();
    const int64_t told = store->add_fact({"user", "told_to_remember", "Sam likes tea.", 0.9, t0}, {}).value();
    const int64_t on_only = store->add_reflection("Sam is settled in Paris.", 0.6, {only}, t0 + 30).value();
    const int64_t on_both = store->add_reflection("Paris suits Sam, and I said so.", 0.5, {only, t2}, t0 + 30).value();

    auto report = store->forget(t1);
    ASSERT_TRUE(report) << report.error().message;
    ASSERT_TRUE(report.value());
    std::vector<int64_t> forgotten;
    for (const ForgottenMemory& m : report.value()->memories)
        forgotten.push_back(m.id);
    EXPECT_EQ(forgotten, (std::vector<int64_t>{t1, only, on_only}));
    EXPECT_EQ(report.value()->memories[1].kind, Kind::Fact);
    EXPECT_EQ(report.value()->memories[1].text, "Sam lives in Paris.");
    EXPECT_EQ(report.value()->memories[2].kind, Kind::Reflection);
    EXPECT_TRUE(report.value()->conversations.empty());  // an imported turn has no conversation store turn

    for (int64_t gone : {t1, only, on_only})
        EXPECT_FALSE(store->get(gone).value()) << gone;
    auto kept = store->get(shared).value();
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->source_turns, std::vector<std::string>{"t3"});
    auto reflection = store->get(on_both).value();
    ASSERT_TRUE(reflection);
    EXPECT_EQ(reflection->sources, std::vector<int64_t>{t2});
    EXPECT_TRUE(store->get(told).value()) << "a fact with no sources is not drawn from anything";
}

TEST_F(Forget, TheJournalNoLongerDrawsOnIt) {
    const UtcOffset zone = fixed_utc_offset(-8h);  // Los Angeles in winter
    const int64_t day = std::chrono::sys_days{std::chrono::year{2026} / 1 / 14}.time_since_epoch().count();
    const Timestamp evening = local_day_start(day, zone) + 22h;  // 06:00 UTC on the next UTC day
    const std::string secret = "My password hint is my first goldfish, Bubbles.";

    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store);
    auto ids = store->import_episodes({
        {"e1", "c", "Sam", "user", unix_seconds(evening), secret},
        {"e2", "c", "Sam", "user", unix_seconds(evening + 48h), "The weather turned cold."},
    });
    ASSERT_TRUE(ids);

    // Three days of contact, each with its entry; the model wrote all three.
    Timestamp clock = evening;
    std::vector<int64_t> entries;
    {
        auto state = affect::CompanionState::open(
            dir, affect::BigFive{}, [&] { return clock; }, zone);
        ASSERT_TRUE(state) << state.error().message;
        for (int i = 0; i < 3; ++i) {
            clock = evening + i * 24h;
            ASSERT_TRUE(state->observe_user_message("hello", affect::Appraisal{}));
            clock = evening + i * 24h + 12h;
            auto entry = state->reflect_if_due();
            ASSERT_TRUE(entry && entry.value());
            entries.push_back(*entry.value());
        }
    }
    Database& db = store->database();
    // The day of the secret, paraphrased; a later day quoting it word for word; a day without it.
    ASSERT_TRUE(affect::store_model_journal_text(db, entries[0], "Sam trusted me with something about a goldfish."));
    ASSERT_TRUE(affect::store_model_journal_text(db, entries[1], "I keep thinking of it: \"" + secret + "\""));
    ASSERT_TRUE(affect::store_model_journal_text(db, entries[2], "A cold, quiet day; we talked about the weather."));

    auto report = store->forget(ids.value()[0]);
    ASSERT_TRUE(report && report.value());
    std::vector<affect::ForgottenText> texts;
    for (const ForgottenMemory& m : report.value()->memories)
        texts.push_back({m.text, m.time});
    auto redacted = affect::redact_journal(db, texts, zone);
    ASSERT_TRUE(redacted) << redacted.error().message;
    EXPECT_EQ(redacted.value(), (std::vector<int64_t>{entries[0], entries[1]}));

    auto state = affect::CompanionState::open(
        dir, affect::BigFive{}, [&] { return clock; }, zone);
    ASSERT_TRUE(state);
    auto journal = state->journal(10).value();  // newest first
    ASSERT_EQ(journal.size(), 3u);
    for (const affect::JournalEntry& entry : {journal[2], journal[1]}) {
        EXPECT_EQ(entry.text, entry.summary);
        EXPECT_EQ(entry.author, affect::JournalAuthor::summary);
        EXPECT_NE(entry.writer_note.find("forgotten"), std::string::npos) << entry.writer_note;
    }
    EXPECT_EQ(journal[0].text, "A cold, quiet day; we talked about the weather.");
    EXPECT_EQ(journal[0].author, affect::JournalAuthor::model);
    // The writer does not try the withdrawn entries again.
    EXPECT_TRUE(affect::journal_entries_awaiting_writer(db, 10).value().empty());
    EXPECT_FALSE(on_disk(dir, "goldfish"));
    EXPECT_FALSE(on_disk(dir, "Bubbles"));

    // Nothing left to withdraw: a second pass changes nothing.
    EXPECT_TRUE(affect::redact_journal(db, texts, zone).value().empty());
}

TEST_F(Forget, TheSavedContextsOfItsConversationAreDeleted) {
    EXPECT_EQ(conversation_cache_file(dir, 7), dir / "kv" / "conversation-7.kv");

    auto conversations = ConversationStore::open(dir);
    ASSERT_TRUE(conversations);
    const int64_t c1 = conversations->create_conversation("", t0).value();
    const int64_t c2 = conversations->create_conversation("", t0).value();
    const int64_t turn = conversations->append_turn(c1, "user", "My locker code is 4512.", t0).value();
    ASSERT_TRUE(conversations->append_turn(c2, "user", "Tell me a joke.", t0 + 10));
    fs::create_directories(dir / "kv");
    for (const fs::path& file : {conversation_cache_file(dir, c1), conversation_cache_file(dir, c2),
                                 fs::path(conversation_cache_file(dir, c1).string() + ".tmp")})
        std::ofstream(file, std::ios::binary) << "cached";

    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store);
    ASSERT_EQ(store->sync_conversation_turns().value(), 2u);
    auto report = store->forget(memory_of_turn(store.value(), turn));
    ASSERT_TRUE(report && report.value());
    EXPECT_EQ(report.value()->conversations, std::vector<int64_t>{c1});
    EXPECT_EQ(report.value()->caches_deleted, 1u);
    EXPECT_FALSE(fs::exists(conversation_cache_file(dir, c1)));
    EXPECT_FALSE(fs::exists(conversation_cache_file(dir, c1).string() + ".tmp"));
    EXPECT_TRUE(fs::exists(conversation_cache_file(dir, c2)));
}

TEST_F(Forget, TheBackupsThatHeldItAreDeleted) {
    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store);
    auto ids = store->import_episodes({{"a", "c1", "Sam", "user", t0, "My old address was 12 Elm Street."}});
    ASSERT_TRUE(ids);
    Database& db = store->database();
    for (int64_t at : {int64_t(1577836800), int64_t(1577923200)})  // 2020-01-01, 2020-01-02
        ASSERT_TRUE(write_backup(db.handle(), db.path(), at));
    const size_t before = list_backups(db.path()).size();
    ASSERT_GE(before, 2u);  // and the daily backup that opening the database took

    auto report = store->forget(ids.value()[0]);
    ASSERT_TRUE(report && report.value());
    EXPECT_EQ(report.value()->backups_deleted, before);
    EXPECT_TRUE(list_backups(db.path()).empty());
}

TEST_F(Forget, EverythingThenSyncAndSearchFindNothing) {
    auto conversations = ConversationStore::open(dir);
    ASSERT_TRUE(conversations);
    const int64_t c = conversations->create_conversation("", t0).value();
    ASSERT_TRUE(conversations->append_exchange(c, "My sister Lena is a nurse.", t0, "Nursing is demanding work.",
                                               Interrupted::No, t0 + 5));
    fs::create_directories(dir / "kv");
    std::ofstream(conversation_cache_file(dir, c), std::ios::binary) << "cached";
    std::ofstream(conversation_cache_file(dir, 99), std::ios::binary) << "a cache of a conversation gone before";

    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->set_embedder(std::shared_ptr<llm::Embedder>(make_synthetic_embedder(64))));
    ASSERT_EQ(store->sync_conversation_turns().value(), 2u);
    ASSERT_TRUE(store->import_episodes({{"a", "c9", "Sam", "user", t0 + 100, "Lena moved to Porto."}}));
    const int64_t fact = store->add_fact({"user", "sister", "Sam's sister Lena is a nurse.", 0.8, t0}, {"a"}).value();
    ASSERT_TRUE(store->add_reflection("Family matters to Sam.", 0.6, {fact}, t0 + 200));
    ASSERT_TRUE(store->core_set("human", "Sam has a sister, Lena."));
    ASSERT_TRUE(store->core_set("persona", "I am Ada, curious and kind."));
    ASSERT_TRUE(write_backup(store->database().handle(), store->database().path(), 1577836800));
    ASSERT_TRUE(recalls(store->search("Lena", at_t0()).value(), "Lena"));

    auto report = store->forget_all();
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->memories.size(), 5u);
    EXPECT_EQ(report->conversations, std::vector<int64_t>{c});
    EXPECT_EQ(report->turns_deleted, 2u);
    EXPECT_EQ(report->caches_deleted, 2u);
    EXPECT_GE(report->backups_deleted, 1u);

    EXPECT_EQ(store->sync_conversation_turns().value(), 0u);
    EXPECT_TRUE(store->search("Lena", at_t0()).value().empty());
    EXPECT_TRUE(store->search("nurse sister Porto family", at_t0()).value().empty());
    EXPECT_EQ(store->count().value(), 0u);
    EXPECT_EQ(scalar(store->database(), "SELECT count(*) FROM memory_vectors"), 0);
    EXPECT_EQ(store->core_block("human").value(), "");
    EXPECT_EQ(store->core_block("persona").value(), "I am Ada, curious and kind.");
    EXPECT_FALSE(conversations->latest_conversation().value());
    EXPECT_TRUE(conversations->turns(c).value().empty());
    EXPECT_TRUE(fs::is_empty(dir / "kv"));
    EXPECT_TRUE(list_backups(store->database().path()).empty());
    EXPECT_FALSE(on_disk(dir, "Lena"));

    // Chatting again starts from nothing.
    const int64_t next = conversations->create_conversation("", t0 + 1000).value();
    ASSERT_TRUE(conversations->append_turn(next, "user", "Hello again.", t0 + 1000));
    EXPECT_EQ(store->sync_conversation_turns().value(), 1u);
    EXPECT_TRUE(store->search("Lena", at_t0()).value().empty());
}

TEST_F(Forget, EverythingErasesTheJournalAndItsChangeLogButNotTheCompanion) {
    const UtcOffset zone = fixed_utc_offset(0s);
    Timestamp clock = from_unix_seconds(t0);
    double extraversion = 0;
    {
        auto state = affect::CompanionState::open(
            dir, affect::BigFive{}, [&] { return clock; }, zone);
        ASSERT_TRUE(state) << state.error().message;
        affect::Appraisal glad;
        glad.valence = 0.8;
        for (int i = 0; i < 3; ++i)
            ASSERT_TRUE(state->observe_user_message("what a lovely day", glad));
        clock += 24h;
        ASSERT_TRUE(state->reflect_if_due().value());
        ASSERT_TRUE(state->record_model_appraisal_rejection(clock, "the model failed"));
        ASSERT_FALSE(state->journal(10).value().empty());
        ASSERT_FALSE(state->changes(10).value().empty());  // a warm day drifts a trait, citing the entry
        extraversion = state->personality().current()[affect::Trait::extraversion];
    }
    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store);
    ASSERT_TRUE(affect::erase_journal(store->database()));
    ASSERT_TRUE(store->forget_all());

    auto state = affect::CompanionState::open(
        dir, affect::BigFive{}, [&] { return clock; }, zone);
    ASSERT_TRUE(state);
    EXPECT_TRUE(state->journal(10).value().empty());
    EXPECT_TRUE(state->changes(10).value().empty());
    EXPECT_TRUE(state->model_appraisals(10).value().empty());
    EXPECT_DOUBLE_EQ(state->personality().current()[affect::Trait::extraversion], extraversion);
}

TEST_F(Forget, TheJournalFunctionsDoNothingBeforeTheAffectTablesExist) {
    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store);
    EXPECT_TRUE(affect::redact_journal(store->database(), {{"anything", t0}}, fixed_utc_offset(0s)).value().empty());
    EXPECT_TRUE(affect::erase_journal(store->database()));
    EXPECT_EQ(scalar(store->database(), "SELECT count(*) FROM sqlite_master WHERE name = 'journal'"), 0);
}
