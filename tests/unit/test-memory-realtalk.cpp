// The REALTALK reader, the plain BM25 baseline and the realtalk benchmark's mechanics, on small
// chats written here in the dataset's format (the dataset itself is never needed by these tests;
// test-memory-cli runs the benchmark on a slice of it when it is present).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "memory/memory.h"
#include "memory/plain-bm25.h"
#include "memory/realtalk-bench.h"
#include "memory/realtalk-set.h"
#include "support/temp-dir.h"

using namespace os1;
using namespace os1::memory;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json turn(const char* id, const char* speaker, const char* text, const char* time) {
    return {{"dia_id", id},      {"speaker", speaker},        {"clean_text", text},
            {"date_time", time}, {"img_file", json::array()}, {"img_url", json::array()}};
}

// Two sessions between Kate (speaker 1) and Juno, and four questions: two answerable, one whose
// evidence turn is missing from the file (an image the dataset dropped), one without evidence.
json small_chat() {
    json chat = {{"name", {{"speaker_1", "Kate Doe"}, {"speaker_2", "Juno"}}}};
    chat["session_1"] = json::array({
        turn("D1:1", "Kate", "Hey! How was your weekend?", "29.12.2023, 22:42:04"),
        turn("D1:2", "juno", "Great, I went skiing in the Alps with my brother.", "29.12.2023, 22:43:10"),
        turn("D1:3", "Kate", "I have never skied. I mostly bake sourdough bread.", "29.12.2023, 22:44:00"),
    });
    chat["session_1_date_time"] = "29.12.2023, 22:42:04";
    chat["session_2"] = json::array({
        turn("D2:1", "Juno", "Did the bread turn out well?", "02.01.2024, 09:00:00"),
        turn("D2:3", "Kate", "Yes, the crust was perfect this time.", "02.01.2024, 09:05:00"),
    });
    chat["qa"] = json::array({
        {{"question", "Where did Juno go skiing?"}, {"answer", "the Alps"}, {"evidence", {"D1:2."}}, {"category", 2}},
        {{"question", "What does Kate bake?"}, {"answer", "sourdough"}, {"evidence", {"D1:3; D2:3"}}, {"category", 1}},
        {{"question", "What photo did Kate send?"}, {"answer", "a cat"}, {"evidence", {"D2:2"}}, {"category", 3}},
        {{"question", "Is Kate happy?"}, {"answer", "yes"}, {"evidence", json::array()}, {"category", 3}},
    });
    return chat;
}

void write_json(const fs::path& file, const json& doc) {
    std::ofstream(file, std::ios::binary) << doc.dump();
}

}  // namespace

TEST(Realtalk, EvidenceLabelsAreNormalised) {
    EXPECT_EQ(normalise_evidence({"D5:3.", "D2:7"}), (std::vector<std::string>{"D5:3", "D2:7"}));
    EXPECT_EQ(normalise_evidence({"D5:12;D5:16"}), (std::vector<std::string>{"D5:12", "D5:16"}));
    EXPECT_EQ(normalise_evidence({"D1:11; D3:18"}), (std::vector<std::string>{"D1:11", "D3:18"}));
    EXPECT_EQ(normalise_evidence({"D13:4. D14:4"}), (std::vector<std::string>{"D13:4", "D14:4"}));
    EXPECT_EQ(normalise_evidence({"D12:3-D12:5"}), (std::vector<std::string>{"D12:3", "D12:4", "D12:5"}));
    EXPECT_EQ(normalise_evidence({"D 2:18"}), (std::vector<std::string>{"D2:18"}));
    EXPECT_EQ(normalise_evidence({"23:29"}), (std::vector<std::string>{"D23:29"}));
    EXPECT_EQ(normalise_evidence({"D13:45:D20:19"}), (std::vector<std::string>{"D13:45", "D20:19"}));
    EXPECT_EQ(normalise_evidence({"D1:87", ""}), (std::vector<std::string>{"D1:87"}));
    EXPECT_EQ(normalise_evidence({"D58"}), (std::vector<std::string>{"D58"}));  // kept; matches no turn
    EXPECT_EQ(normalise_evidence({"D3:1", "D3:1."}), (std::vector<std::string>{"D3:1"}));
}

TEST(Realtalk, ReadsAChatAndExportsItWithSpeakerOneAsTheUser) {
    fs::path dir = test::unique_temp_dir("realtalk-read");
    write_json(dir / "Chat_4_Kate_Juno.json", small_chat());
    auto chats = read_realtalk(dir);
    ASSERT_TRUE(chats) << chats.error().message;
    ASSERT_EQ(chats->size(), 1u);
    const RealtalkChat& chat = chats->front();
    EXPECT_EQ(chat.name, "Chat_4_Kate_Juno");
    EXPECT_EQ(chat.number, 4);
    ASSERT_EQ(chat.turns.size(), 5u);
    EXPECT_EQ(chat.turns[3].session, 2);
    EXPECT_EQ(chat.turns[0].time, parse_iso8601("2023-12-29T22:42:04Z").value());
    ASSERT_EQ(chat.questions.size(), 4u);
    EXPECT_EQ(chat.questions[1].evidence, (std::vector<std::string>{"D1:3", "D2:3"}));

    std::vector<json> lines;
    std::istringstream in(to_os1_jsonl(chat));
    for (std::string line; std::getline(in, line);)
        lines.push_back(json::parse(line));
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0]["role"], "user");       // "Kate" is speaker 1, "Kate Doe"
    EXPECT_EQ(lines[1]["role"], "assistant");  // "juno", in another case than the header's
    EXPECT_EQ(lines[3]["conversation"], "session_2");
    EXPECT_EQ(lines[3]["id"], "D2:1");
    EXPECT_EQ(lines[0]["time"], "2023-12-29T22:42:04Z");

    EXPECT_TRUE(read_realtalk(test::unique_temp_dir("realtalk-empty")).is_error());
    write_json(dir / "Chat_5_Broken.json", json{{"name", {{"speaker_1", "A"}}}});
    auto broken = read_realtalk(dir);
    ASSERT_TRUE(broken.is_error());
    EXPECT_NE(broken.error().message.find("Chat_5_Broken.json"), std::string::npos) << broken.error().message;
}

TEST(Realtalk, PlainBm25RanksByRareWordsWithoutStemming) {
    PlainBm25 bm25(
        {"I went skiing in the Alps", "the the the and", "I love baking bread", "Skiing is fun", "bread bread bread"});
    auto hits = bm25.search("Where did you go skiing?", 10);
    ASSERT_EQ(hits.size(), 2u);
    EXPECT_EQ(hits[0], 3u);  // the shorter text with the word wins
    EXPECT_EQ(hits[1], 0u);
    EXPECT_TRUE(bm25.search("the and of", 10).empty());  // stop words only
    EXPECT_TRUE(bm25.search("ski", 10).empty());         // no stemming
    EXPECT_EQ(bm25.search("bread", 1), std::vector<size_t>{4});
}

TEST(Realtalk, RecallCountsDistinctSourceTurnsOnly) {
    // A hit with many source turns covers them in order; repeats do not use up the K places.
    std::vector<std::vector<std::string>> ranked = {{"a"}, {"a"}, {"b", "c", "d"}, {"e"}};
    EXPECT_EQ(first_distinct_turns(ranked, 2), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(first_distinct_turns(ranked, 10), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST(Realtalk, BenchImportsEachChatAsItsOwnUserAndSplitsByChatNumber) {
    fs::path data = test::unique_temp_dir("realtalk-bench-data");
    write_json(data / "Chat_2_Kate_Juno.json", small_chat());
    write_json(data / "Chat_9_Kate_Juno.json", small_chat());
    RealtalkBenchOptions options;
    options.dataset_dir = data;
    options.work_dir = test::unique_temp_dir("realtalk-bench-work");
    // The folder may be one the user named (--dir): what the benchmark did not write stays.
    std::ofstream(options.work_dir / "notes.txt") << "mine";
    auto result = run_realtalk_bench(options);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(fs::exists(options.work_dir / "notes.txt"));
    ASSERT_EQ(result->splits.size(), 3u);
    EXPECT_EQ(result->splits[0].name, "tuning");
    EXPECT_EQ(result->splits[0].chats, std::vector<std::string>{"Chat_2_Kate_Juno"});
    EXPECT_EQ(result->splits[1].name, "held_out");
    EXPECT_EQ(result->splits[1].chats, std::vector<std::string>{"Chat_9_Kate_Juno"});
    const RealtalkSplit& all = result->splits[2];
    EXPECT_EQ(all.turns, 10u);
    // Three questions with evidence per chat; the one whose turn is missing always misses.
    EXPECT_EQ(all.os1.overall.questions, 6u);
    EXPECT_EQ(all.unanswerable, 2u);
    EXPECT_EQ(all.bm25.overall.questions, 6u);
    EXPECT_EQ(all.os1.by_category.size(), 3u);
    // Each chat is its own user: the same ids in both chats did not collide.
    EXPECT_TRUE(fs::exists(options.work_dir / "users" / "Chat_2_Kate_Juno" / "os1.db"));
    EXPECT_TRUE(fs::exists(options.work_dir / "users" / "Chat_9_Kate_Juno" / "os1.db"));
    for (const RealtalkSplit& split : result->splits)
        for (const SystemRecall* system : {&split.os1, &split.bm25}) {
            EXPECT_LE(system->overall.at_1, system->overall.at_5);
            EXPECT_LE(system->overall.at_5, system->overall.at_10);
            EXPECT_LE(system->overall.at_10, 2.0 / 3.0);  // a third are unanswerable
        }

    options.chats = {"Chat_9_Kate_Juno"};
    auto one = run_realtalk_bench(options);
    ASSERT_TRUE(one) << one.error().message;
    ASSERT_EQ(one->splits.size(), 2u);  // held_out and all
    EXPECT_EQ(one->splits[0].name, "held_out");
    EXPECT_EQ(one->splits[0].turns, result->splits[1].turns) << "the chat's store was made anew, not added to";
    EXPECT_EQ(one->splits[0].os1.overall.at_10, result->splits[1].os1.overall.at_10);

    options.chats = {"Chat_7_Nobody"};
    auto missing = run_realtalk_bench(options);
    ASSERT_TRUE(missing.is_error());
    EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
}
