// `os1 memory` and `os1 bench memory`, run in-process through CLI11 (the subcommands are wired
// into the os1 binary separately).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "memory/conversation-store.h"
#include "memory/memory.h"
#include "support/fake-openai-server.h"
#include "support/temp-dir.h"

namespace os1::cli {
void register_memory(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_memory_bench(CLI::App* bench, GlobalOptions& global, int& exit_code);
}  // namespace os1::cli

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

class MemoryCli : public ::testing::Test {
protected:
    void SetUp() override {
        m_home = os1::test::unique_temp_dir(std::string("memory-cli-") +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_FALSE(m_home.empty());
    }

    CliResult run(std::vector<std::string> args) {
        CLI::App app{"os1"};
        app.require_subcommand(1);
        os1::cli::GlobalOptions global;
        global.home = m_home.string();
        int exit_code = 0;
        os1::cli::register_memory(app, global, exit_code);
        CLI::App* bench = app.add_subcommand("bench", "bench");
        os1::cli::register_memory_bench(bench, global, exit_code);
        args.insert(args.begin(), "os1");
        std::vector<char*> argv;
        for (std::string& a : args)
            argv.push_back(a.data());
        ::testing::internal::CaptureStdout();
        ::testing::internal::CaptureStderr();
        CliResult result;
        try {
            app.parse(int(argv.size()), argv.data());
            result.exit_code = exit_code;
        } catch (const CLI::ParseError& e) {
            result.exit_code = e.get_exit_code() ? 2 : 0;
        }
        std::fflush(stdout);
        std::fflush(stderr);
        result.out = ::testing::internal::GetCapturedStdout();
        result.err = ::testing::internal::GetCapturedStderr();
        return result;
    }

    fs::path write(const std::string& name, const std::string& text) {
        fs::path file = m_home / name;
        std::ofstream(file, std::ios::binary) << text;
        return file;
    }

    fs::path m_home;
};

const char* const good_jsonl =
    R"({"id":"a1","conversation":"c1","speaker":"Sam","role":"user","time":"2024-04-02T08:00:00Z","text":"My sister Lena works as a nurse."}
{"id":"a2","conversation":"c1","speaker":"Juniper","role":"assistant","time":"2024-04-02T08:00:20Z","text":"Nursing is demanding work."}

{"id":"a3","conversation":"c2","speaker":"Sam","role":"user","time":"2024-05-20T19:00:00+02:00","text":"I adopted a kitten named Pixel."}
)";

}  // namespace

TEST_F(MemoryCli, ImportSearchShowEditForgetExport) {
    fs::path file = write("chat.jsonl", good_jsonl);
    CliResult r = run({"memory", "import", file.string(), "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["imported"], 3);

    r = run({"memory", "search", "what does my sister work as", "--user", "sam", "-k", "2", "--at",
             "2024-06-01T00:00:00Z", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json hits = json::parse(r.out)["hits"];
    ASSERT_GE(hits.size(), 1u);
    EXPECT_EQ(hits[0]["text"], "My sister Lena works as a nurse.");
    EXPECT_EQ(hits[0]["source_turns"], json::array({"import:a1"}));
    EXPECT_EQ(hits[0]["kind"], "episode");
    EXPECT_EQ(hits[0]["time"], "2024-04-02T08:00:00Z");
    for (const char* key : {"id", "score"})
        EXPECT_TRUE(hits[0].contains(key)) << key;
    const int64_t id = hits[0]["id"];

    r = run({"memory", "search", "what happened in May", "--user", "sam", "--at", "2024-06-01T00:00:00Z", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    hits = json::parse(r.out)["hits"];
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0]["source_turns"], json::array({"import:a3"}));

    r = run({"memory", "edit", std::to_string(id), "My sister Lena works as a surgeon.", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({"memory", "show", std::to_string(id), "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["text"], "My sister Lena works as a surgeon.");

    r = run({"memory", "forget", std::to_string(id), "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({"memory", "show", std::to_string(id), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no memory"), std::string::npos) << r.err;

    r = run({"memory", "list", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["memories"].size(), 2u);

    r = run({"memory", "export", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json exported = json::parse(r.out);
    EXPECT_EQ(exported["memories"].size(), 2u);
    EXPECT_EQ(exported["memories"][0]["source_id"], "import:a2");
    EXPECT_TRUE(exported["core"].contains("human"));

    r = run({"memory", "forget", "--all", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({"memory", "export", "--user", "sam", "--json"});
    EXPECT_TRUE(json::parse(r.out)["memories"].empty());
    r = run({"memory", "forget", "--user", "sam"});
    EXPECT_EQ(r.exit_code, 2) << "neither an id nor --all is a usage error";
}

namespace {

// A chat as `os1 chat` leaves it: exchanges appended to the latest conversation of `sam`.
int64_t chat(const fs::path& home, const std::vector<std::pair<std::string, std::string>>& exchanges, int64_t start) {
    fs::create_directories(home / "users" / "sam");
    auto conversations = os1::memory::ConversationStore::open(home / "users" / "sam");
    EXPECT_TRUE(conversations) << conversations.error().message;
    auto latest = conversations->latest_conversation().value();
    const int64_t c = latest ? latest->id : conversations->create_conversation("", start).value();
    for (const auto& [said, reply] : exchanges) {
        EXPECT_TRUE(conversations->append_exchange(c, said, start, reply, os1::memory::Interrupted::No, start + 5));
        start += 60;
    }
    return c;
}

}  // namespace

// An imported turn named "turn:1" cannot stand in for conversation turn 1: what was said in chat
// is remembered and found first.
TEST_F(MemoryCli, AnImportedIdNeverHidesAChatTurn) {
    fs::path file = write("old.jsonl", R"({"id":"turn:1","conversation":"old","role":"user","time":"2024-01-01T10:00:00Z","text":"I love peanuts, no allergies at all."})"
                                       "\n");
    CliResult r = run({"memory", "import", file.string(), "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    chat(m_home, {{"I am severely allergic to peanuts.", "Thank you for telling me; I will remember."}}, 1714730400);

    r = run({"memory", "search", "peanuts allergic", "--user", "sam", "--at", "2024-05-04T00:00:00Z", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json hits = json::parse(r.out)["hits"];
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0]["text"], "I am severely allergic to peanuts.");
    EXPECT_EQ(hits[0]["source_turns"], json::array({"turn:1"}));
    bool imported_found = false;
    for (const json& hit : hits)
        imported_found |= hit["source_turns"] == json::array({"import:turn:1"});
    EXPECT_TRUE(imported_found) << r.out;
}

TEST_F(MemoryCli, ForgettingAChatTurnTellsWhatWentAndItStaysGone) {
    chat(m_home, {{"My gym locker code is 4512.", "I will keep that safe."}, {"I like rainy days.", "Me too."}},
         1714730400);
    CliResult r = run({"memory", "search", "gym locker code", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json hits = json::parse(r.out)["hits"];
    ASSERT_FALSE(hits.empty());
    ASSERT_EQ(hits[0]["text"], "My gym locker code is 4512.");
    const int64_t id = hits[0]["id"];
    {
        auto store = os1::memory::MemoryStore::open(m_home / "users" / "sam");
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->add_fact({"user", "locker_code", "Sam's gym locker code is 4512.", 0.6, 1714730400},
                                    {hits[0]["source_turns"][0].get<std::string>()}));
    }

    r = run({"memory", "forget", std::to_string(id), "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("forgotten memory " + std::to_string(id) + ", and 1 fact drawn only from it"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("the conversation turn it came from"), std::string::npos) << r.out;

    // Chat again: the next search copies the new turns, and never the forgotten one.
    chat(m_home, {{"What should I cook tonight?", "Maybe a soup."}}, 1714740000);
    r = run({"memory", "search", "gym locker code 4512", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("4512"), std::string::npos) << r.out;
    r = run({"memory", "list", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["memories"].size(), 5u) << r.out;  // 6 turns, less the forgotten one

    r = run({"memory", "forget", std::to_string(id), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no memory " + std::to_string(id)), std::string::npos) << r.err;
}

TEST_F(MemoryCli, ForgettingEverythingThenSearchingFindsNothing) {
    fs::path file = write("chat.jsonl", good_jsonl);
    CliResult r = run({"memory", "import", file.string(), "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    chat(m_home, {{"My sister Lena visits on Sunday.", "How lovely."}}, 1714730400);
    r = run({"memory", "search", "Lena", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_FALSE(json::parse(r.out)["hits"].empty());

    r = run({"memory", "forget", "--all", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("forgot everything of sam: 5 memories, 1 conversation with 2 turns"), std::string::npos)
        << r.out;
    for (const char* query : {"Lena", "sister nurse", "kitten Pixel", "what happened in May"}) {
        r = run({"memory", "search", query, "--user", "sam", "--at", "2024-06-01T00:00:00Z", "--json"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_TRUE(json::parse(r.out)["hits"].empty()) << query << ": " << r.out;
    }
    r = run({"memory", "list", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(json::parse(r.out)["memories"].empty()) << r.out;
}

TEST_F(MemoryCli, BrokenImportNamesTheLineAndImportsNothing) {
    std::string broken = good_jsonl;
    broken += "{\"id\":\"a4\",\"conversation\":\"c2\",\"role\":\"user\",\"time\":\"yesterday\",\"text\":\"x\"}\n";
    fs::path file = write("broken.jsonl", broken);
    CliResult r = run({"memory", "import", file.string(), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("broken.jsonl:5:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was imported"), std::string::npos) << r.err;

    fs::path truncated = write("truncated.jsonl", std::string(good_jsonl) + "{\"id\":\"a9\",\"text\":\n");
    r = run({"memory", "import", truncated.string(), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("truncated.jsonl:5: not a JSON object"), std::string::npos) << r.err;

    fs::path bad_utf8 = write("bad.jsonl", std::string(good_jsonl) +
                                               "{\"id\":\"a5\",\"conversation\":\"c\",\"role\":\"user\",\"time\":"
                                               "\"2024-01-01\",\"text\":\"caf\xE9\"}\n");
    r = run({"memory", "import", bad_utf8.string(), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("bad.jsonl:5: not valid UTF-8"), std::string::npos) << r.err;

    fs::path huge = write("huge.jsonl",
                          "{\"id\":\"h\",\"conversation\":\"c\",\"role\":\"user\",\"time\":\"2024-01-01\","
                          "\"text\":\"" +
                              std::string(40000, 'a') + "\"}\n");
    r = run({"memory", "import", huge.string(), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("huge.jsonl:1: the text of 40000 bytes is over the limit"), std::string::npos) << r.err;

    r = run({"memory", "export", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(json::parse(r.out)["memories"].empty());

    r = run({"memory", "import", file.string(), "--user", "sam", "--format", "csv"});
    EXPECT_EQ(r.exit_code, 2) << "an unknown --format is a usage error";
    EXPECT_NE(r.err.find("unknown import format"), std::string::npos);
    r = run({"memory", "list", "--user", "../escape"});
    EXPECT_EQ(r.exit_code, 1);
}

TEST_F(MemoryCli, ImportingTheSameFileTwiceIsACleanNoOp) {
    fs::path file = write("chat.jsonl", good_jsonl);
    CliResult r = run({"memory", "import", file.string(), "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({"memory", "import", file.string(), "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json report = json::parse(r.out);
    EXPECT_EQ(report["imported"], 0);
    EXPECT_EQ(report["already_present"], 3);
    r = run({"memory", "import", file.string(), "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("imported 0 new turns from " + file.string() + ", 3 already present"), std::string::npos)
        << r.out;

    std::string changed = good_jsonl;
    changed.replace(changed.find("works as a nurse"), 16, "works as a pilot");
    changed += R"({"id":"a4","conversation":"c2","role":"user","time":"2024-05-21T10:00:00Z","text":"Pixel sleeps a lot."})";
    fs::path conflicting = write("changed.jsonl", changed);
    r = run({"memory", "import", conflicting.string(), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("turn a1: this id is already stored"), std::string::npos) << r.err;
    r = run({"memory", "list", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["memories"].size(), 3u) << "a conflicting import must write nothing";
}

TEST_F(MemoryCli, ImportsSillyTavernAndChatGptExports) {
    fs::path st = write("Juniper - 2024-05-01.jsonl",
                        R"({"user_name":"Sam","character_name":"Juniper","create_date":"2024-05-01@10h00m00s"}
{"name":"Sam","is_user":true,"is_system":false,"send_date":"May 1, 2024 10:02am","mes":"I just started learning the cello."}
{"name":"Juniper","is_user":false,"is_system":false,"send_date":"2024-05-01T10:02:30Z","mes":"How exciting!"}
)");
    CliResult r = run({"memory", "import", st.string(), "--format", "sillytavern", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["imported"], 2);

    fs::path gpt =
        write("conversations.json", R"([{"title":"Trip","create_time":1714557600.5,"conversation_id":"conv-1",
      "mapping":{
        "root":{"id":"root","message":null,"parent":null,"children":["m1"]},
        "m0":{"id":"m0","message":{"id":"m0","author":{"role":"system"},"create_time":null,"content":{"content_type":"text","parts":[""]}}},
        "m2":{"id":"m2","message":{"id":"m2","author":{"role":"assistant"},"create_time":1714557700.0,"content":{"content_type":"text","parts":["Porto in spring is lovely."]}}},
        "m1":{"id":"m1","message":{"id":"m1","author":{"role":"user"},"create_time":1714557650.0,"content":{"content_type":"text","parts":["I am planning a trip to Porto."]}}}
      }}])");
    r = run({"memory", "import", gpt.string(), "--format", "chatgpt", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["imported"], 2);

    r = run({"memory", "search", "cello", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json hits = json::parse(r.out)["hits"];
    // The matching turn, then the reply after it, which the match lends some relevance to.
    ASSERT_EQ(hits.size(), 2u);
    EXPECT_EQ(hits[0]["source_turns"], json::array({"import:Juniper - 2024-05-01:2"}));
    EXPECT_EQ(hits[0]["time"], "2024-05-01T10:02:00Z");
    EXPECT_EQ(hits[1]["source_turns"], json::array({"import:Juniper - 2024-05-01:3"}));

    r = run({"memory", "search", "trip", "--user", "sam", "--json"});
    hits = json::parse(r.out)["hits"];
    ASSERT_EQ(hits.size(), 2u);
    EXPECT_EQ(hits[0]["source_turns"], json::array({"import:m1"}));
    EXPECT_EQ(hits[1]["source_turns"], json::array({"import:m2"}));
    EXPECT_EQ(hits[0]["context"], json::array({"assistant: Porto in spring is lovely."}));
}

TEST_F(MemoryCli, BenchReportsRecallLatencyAndIngest) {
    CliResult r = run({"bench", "memory", "--sizes", "1000", "3000", "--queries", "20", "--json", "--dir",
                       (m_home / "bench").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json out = json::parse(r.out);
    for (const char* k : {"1", "5", "10"}) {
        ASSERT_TRUE(out["recall_at"].contains(k));
        EXPECT_GE(out["recall_at"][k].get<double>(), 0.0);
        EXPECT_LE(out["recall_at"][k].get<double>(), 1.0);
    }
    EXPECT_TRUE(out["search_p50_ms"].contains("1000"));
    EXPECT_TRUE(out["search_p95_ms"].contains("3000"));
    EXPECT_GT(out["ingest_per_s"].get<double>(), 0.0);
    EXPECT_GE(out["recall_at"]["10"].get<double>(), out["recall_at"]["1"].get<double>());
}

TEST_F(MemoryCli, RealtalkBenchOnASliceReportsBothSplitsWithRecallGrowingWithK) {
    const fs::path data = fs::path(OS1_SOURCE_DIR) / ".." / "shared" / "data" / "realtalk";
    if (!fs::exists(data / "Chat_1_Emi_Elise.json") || !fs::exists(data / "Chat_10_Fahim_Muhhamed.json"))
        GTEST_SKIP() << "REALTALK is not at " << data.string()
                     << " (see the issue on real conversations); the benchmark was not run";
    // One tuning chat and one held-out chat.
    CliResult r = run({"bench", "memory", "--dataset", "realtalk", data.string(), "--chats",
                       "Chat_1_Emi_Elise,Chat_10_Fahim_Muhhamed", "--json", "--dir", (m_home / "realtalk").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json out = json::parse(r.out);
    EXPECT_EQ(out["dataset"], "realtalk");
    ASSERT_TRUE(out["splits"].contains("tuning"));
    ASSERT_TRUE(out["splits"].contains("held_out"));
    ASSERT_TRUE(out["splits"].contains("all"));
    EXPECT_EQ(out["splits"]["tuning"]["chats"], json::array({"Chat_1_Emi_Elise"}));
    EXPECT_EQ(out["splits"]["held_out"]["chats"], json::array({"Chat_10_Fahim_Muhhamed"}));
    EXPECT_EQ(out["splits"]["all"]["questions"].get<int>(),
              out["splits"]["tuning"]["questions"].get<int>() + out["splits"]["held_out"]["questions"].get<int>());
    EXPECT_GT(out["splits"]["all"]["turns"].get<int>(), 0);
    auto monotone = [](const json& recall, const std::string& where) {
        double previous = 0;
        for (const char* k : {"1", "5", "10"}) {
            ASSERT_TRUE(recall.contains(k)) << where;
            const double value = recall[k].get<double>();
            EXPECT_GE(value, previous) << where << " @" << k;
            EXPECT_LE(value, 1.0) << where;
            previous = value;
        }
    };
    for (const char* split : {"tuning", "held_out", "all"}) {
        const json& s = out["splits"][split];
        EXPECT_GT(s["questions"].get<int>(), 0) << split;
        for (const char* system : {"os1", "bm25"}) {
            const std::string where = std::string(split) + " " + system;
            monotone(s[system]["recall_any_at"], where);
            int questions = 0;
            for (const auto& [category, c] : s[system]["by_category"].items()) {
                monotone(c["recall_any_at"], where + " category " + category);
                questions += c["questions"].get<int>();
            }
            EXPECT_EQ(questions, s["questions"].get<int>()) << where;
        }
    }
    EXPECT_GE(out["search_p95_ms"].get<double>(), out["search_p50_ms"].get<double>());
}

TEST_F(MemoryCli, RealtalkBenchNeedsItsFolder) {
    EXPECT_EQ(run({"bench", "memory", "--dataset", "realtalk"}).exit_code, 2);
    CliResult r = run({"bench", "memory", "--dataset", "realtalk", (m_home / "nothing-here").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("nothing-here"), std::string::npos) << r.err;
}

TEST_F(MemoryCli, SearchWithRewriteAlsoSearchesTheModelsRestatements) {
    const fs::path file = write("kate.jsonl", R"({"id":"j1","conversation":"s1","speaker":"Juno","role":"assistant","time":"2024-01-02T10:00:00Z","text":"Any hobbies besides work?"}
{"id":"k1","conversation":"s2","speaker":"Kate","role":"user","time":"2024-01-05T10:00:00Z","text":"I love skiing, I go every winter."}
{"id":"k2","conversation":"s3","speaker":"Kate","role":"user","time":"2024-01-06T10:00:00Z","text":"The weather was grey all day."}
)");
    ASSERT_EQ(run({"memory", "import", file.string()}).exit_code, 0);
    std::string body;
    std::mutex mutex;
    os1::test::FakeServer server([&](httplib::Server& s) {
        os1::test::serve_models(s);
        s.Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
            {
                std::lock_guard lock(mutex);
                body = req.body;
            }
            res.set_content(os1::test::delta_event(R"({"queries":["I love skiing"]})") +
                                os1::test::delta_event("", "stop") + "data: [DONE]\n\n",
                            "text/event-stream");
        });
    });
    CliResult r = run({"memory", "search", "What are Kate's hobbies?", "--at", "2024-02-01T00:00:00Z", "--json",
                       "--rewrite", "--backend", "openai", "--base-url", server.base_url()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json out = json::parse(r.out);
    EXPECT_EQ(out["rewrites"], json::array({"I love skiing"}));
    bool skiing = false;
    for (const json& hit : out["hits"])
        skiing |= hit["source_turns"] == json::array({"import:k1"});
    EXPECT_TRUE(skiing) << r.out;
    {
        std::lock_guard lock(mutex);
        EXPECT_NE(body.find("What are Kate's hobbies?"), std::string::npos) << body;
    }

    // Without --rewrite no model is asked, and the restatement's turn is not found.
    r = run({"memory", "search", "What are Kate's hobbies?", "--at", "2024-02-01T00:00:00Z", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    out = json::parse(r.out);
    EXPECT_FALSE(out.contains("rewrites"));
    for (const json& hit : out["hits"])
        EXPECT_NE(hit["source_turns"], json::array({"import:k1"}));
}

TEST_F(MemoryCli, BenchRewriteGoesWithTheRealtalkDataset) {
    EXPECT_EQ(run({"bench", "memory", "--rewrite"}).exit_code, 2);
}

TEST_F(MemoryCli, CheckRunsTheFullIntegrityCheckOnDemand) {
    EXPECT_EQ(run({"memory", "check"}).exit_code, 1) << "no database yet";
    const fs::path file = write("check.jsonl", R"({"id":"c1","conversation":"a","role":"user","time":"2024-05-03T10:00:00Z","text":"I planted tomatoes"})"
                                               "\n");
    ASSERT_EQ(run({"memory", "import", file.string()}).exit_code, 0);
    CliResult healthy = run({"memory", "check", "--json"});
    ASSERT_EQ(healthy.exit_code, 0) << healthy.err;
    json verdict = json::parse(healthy.out);
    EXPECT_EQ(verdict["ok"], true);
    EXPECT_EQ(verdict["checked"], (m_home / "users" / "default" / "os1.db").string());

    // An index that no longer matches its table: only the full check (not the quick check that
    // opening runs) reads index contents.
    {
        auto db = os1::Database::open(m_home / "users" / "default" / "os1.db");
        ASSERT_TRUE(db) << db.error().message;
        ASSERT_TRUE(db->exec("PRAGMA writable_schema = ON; "
                             "UPDATE sqlite_schema SET sql = replace(sql, 'ON memories(time)', 'ON memories(role)') "
                             "WHERE name = 'memories_by_time'; PRAGMA writable_schema = OFF;"));
    }
    CliResult damaged = run({"memory", "check"});
    EXPECT_EQ(damaged.exit_code, 1);
    EXPECT_NE(damaged.err.find("integrity check failed"), std::string::npos) << damaged.err;
    EXPECT_NE(damaged.err.find("memory restore"), std::string::npos) << "names the way back: " << damaged.err;
}
