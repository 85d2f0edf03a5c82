// `os1 chat` as a user runs it: a real process, a real data folder, a generated model.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "memory/conversation-store.h"
#include "support/fake-openai-server.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

using namespace os1::test;
namespace fs = std::filesystem;

namespace {

const std::string model = (fs::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-f16.gguf").string();

// A data folder that does not exist yet, in a temporary folder of its own.
fs::path fresh_home(const std::string& name) {
    return unique_temp_dir("chat-" + name) / "home";
}

// Learning after each reply takes several grammar-constrained generations on the test model;
// the tests of the chat's mechanics skip it, and one test below checks that it happens.
std::vector<std::string> chat(const fs::path& home, std::vector<std::string> extra) {
    std::vector<std::string> args = {OS1_BINARY, "--home", home.string(), "chat", "--model", model,
                                     "--temperature", "0", "-t", "1", "--no-learning"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

// `os1 chat` against `server`, for replies that must still be running when the test acts.
std::vector<std::string> remote_chat(const fs::path& home, const FakeServer& server, std::vector<std::string> extra) {
    std::vector<std::string> args = {OS1_BINARY, "--home", home.string(), "chat", "--backend", "openai",
                                     "--base-url", server.base_url(), "--no-learning"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

bool has_reply_text(const std::string& out) { return out.find("tick") != std::string::npos; }

}  // namespace

TEST(ChatCli, OnceJsonReportsReplyAndTimings) {
    auto result = run_process(chat(fresh_home("json"), {"--once", "Hello there", "--json", "--max-tokens", "8"}));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    auto json = nlohmann::json::parse(result.out);
    for (const char* field : {"reply", "tokens", "prefill_tokens", "ttft_ms", "gen_tps"})
        EXPECT_TRUE(json.contains(field)) << field;
    EXPECT_EQ(json["tokens"], 8);
    EXPECT_GT(json["prefill_tokens"].get<int>(), 0);
    EXPECT_GT(json["ttft_ms"].get<double>(), 0);
}

TEST(ChatCli, OnceLearnsFromTheExchangeBeforeExiting) {
    const fs::path home = fresh_home("learns");
    auto result = run_process({OS1_BINARY, "--home", home.string(), "chat", "--model", model, "--temperature", "0",
                               "-t", "1", "--once", "I adore my sister Lena", "--max-tokens", "4"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    // The model's own appraisal of the message is one of the learning steps; --once waited for it.
    auto db = os1::Database::open(home / "users" / "default" / "os1.db");
    ASSERT_TRUE(db) << db.error().message;
    auto count = db->prepare("SELECT count(*) FROM model_appraisals");
    ASSERT_TRUE(count) << count.error().message;
    ASSERT_TRUE(count->step().value());
    EXPECT_EQ(count->column_int(0), 1);
    auto turns = db->prepare("SELECT role, interrupted FROM turns ORDER BY id");
    ASSERT_TRUE(turns);
    ASSERT_TRUE(turns->step().value());
    EXPECT_EQ(turns->column_text(0), "user");
    ASSERT_TRUE(turns->step().value());
    EXPECT_EQ(turns->column_text(0), "assistant");
    EXPECT_EQ(turns->column_int(1), 0);
}

TEST(ChatCli, OnceReadsTheTextFromStdin) {
    auto result = run_process(chat(fresh_home("stdin"), {"--once", "--json", "--max-tokens", "4"}), "Hi from stdin\n");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(nlohmann::json::parse(result.out)["tokens"], 4);
}

TEST(ChatCli, EmptyInputIsAnError) {
    auto result = run_process(chat(fresh_home("empty"), {"--once"}), "   \n");
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("the input is empty"), std::string::npos) << result.err;
}

TEST(ChatCli, InvalidUtf8OnStdinIsAnError) {
    auto result = run_process(chat(fresh_home("utf8"), {"--once"}), "caf\xC3 \xFF\xFE\n");
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("not valid UTF-8"), std::string::npos) << result.err;
}

TEST(ChatCli, InputLongerThanTheContextIsAnError) {
    std::string huge;
    for (int i = 0; i < 3000; ++i)
        huge += "token" + std::to_string(i) + " ";
    auto result = run_process(chat(fresh_home("huge"), {"--once", "--ctx-size", "512"}), huge);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("longer than the whole context"), std::string::npos) << result.err;
}

TEST(ChatCli, OptionsOutOfRangeAreUsageErrorsBeforeTheModelLoads) {
    const fs::path home = fresh_home("ranges");
    const std::vector<std::vector<std::string>> cases = {
        {"--threads", "10000"},    {"--threads", "0"},
        {"--max-tokens", "0"},     {"--max-tokens", "-1"},
        {"--temperature", "nan"},  {"--temperature", "-1"},
        {"--temperature", "6"},    {"--top-p", "-1"},
        {"--top-p", "0"},          {"--min-p", "1.5"},
        {"--repeat-penalty", "0"}, {"--repeat-penalty", "inf"},
        {"--ctx-size", "0"},       {"--max-tokens", "2000", "--ctx-size", "1024"},
        {"--reflection-threshold", "0"}, {"--reflection-threshold", "-3"},
        {"--reflection-threshold", "nan"}, {"--reflection-threshold", "1001"}};
    for (const std::vector<std::string>& bad : cases) {
        std::vector<std::string> args = {OS1_BINARY, "--home", home.string(), "chat", "--model", model, "--once", "hi"};
        args.insert(args.end(), bad.begin(), bad.end());
        auto result = run_process(args);
        EXPECT_EQ(result.exit_code, 2) << bad[0] << " " << bad[1] << ": " << result.err;
        EXPECT_NE(result.err.find(bad[0] + ": "), std::string::npos) << result.err;
        EXPECT_NE(result.err.find("range"), std::string::npos) << result.err;
        EXPECT_EQ(result.err.find("Loading"), std::string::npos) << "no model may load: " << result.err;
        EXPECT_TRUE(result.out.empty()) << result.out;
    }
}

// `os1 serve` learns too, and checks the threshold the same way, before any model loads.
TEST(ChatCli, TheReflectionThresholdIsDocumentedAndServeChecksItAsChatDoes) {
    const fs::path home = fresh_home("serve-threshold");
    auto refused = run_process({OS1_BINARY, "--home", home.string(), "serve", "--model", model, "--port", "0",
                                "--reflection-threshold", "0"});
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("--reflection-threshold: 0 is out of range; use a number above 0, at most 1000"),
              std::string::npos)
        << refused.err;
    for (const char* command : {"chat", "serve"}) {
        auto help = run_process({OS1_BINARY, command, "--help"});
        EXPECT_EQ(help.exit_code, 0) << command;
        EXPECT_NE(help.out.find("--reflection-threshold FLOAT:(0, 1000]=15"), std::string::npos) << help.out;
    }
}

TEST(ChatCli, MissingAndBrokenModelsAreErrors) {
    fs::path home = fresh_home("models");
    auto missing = run_process({OS1_BINARY, "--home", home.string(), "chat", "--model", "/nonexistent/m.gguf",
                                "--once", "hi"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("no such file"), std::string::npos) << missing.err;

    fs::create_directories(home);
    std::ofstream(home / "bad.gguf") << "not a model at all";
    auto bad = run_process({OS1_BINARY, "--home", home.string(), "chat", "--model", (home / "bad.gguf").string(),
                            "--once", "hi"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("not a GGUF"), std::string::npos) << bad.err;
}

TEST(ChatCli, NoModelInstalledNamesTheAlternatives) {
    fs::path home = fresh_home("nomodel");
    auto result = run_process({OS1_BINARY, "--home", home.string(), "chat", "--once", "hi"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("no model is installed"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("--model FILE"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("--backend openai"), std::string::npos) << result.err;
}

TEST(ChatCli, UnwritableDataFolderIsAnError) {
    // A data folder below a regular file can never be created, even by root.
    fs::path blocker = fresh_home("blocker");
    std::ofstream(blocker) << "a file, not a folder";
    auto result = run_process(chat(blocker / "home", {"--once", "hi"}));
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("cannot create the data folder"), std::string::npos) << result.err;
}

// The reply streams from a server whose reply never ends by itself, so it is still running when
// Ctrl-C arrives, however slow the machine.
TEST(ChatCli, CtrlCStopsTheReplyAndExits) {
    EndlessChat endless(EndlessChat::Headers::Sent, 1);  // only the reply: any later request ends
    FakeServer server([&](httplib::Server& s) { serve_models(s); endless.install(s); }, [&] { endless.stop(); });
    Subprocess process(remote_chat(fresh_home("sigint"), server, {"--once", "Talk for a long time"}));
    ASSERT_TRUE(has_reply_text(process.wait_for_output(has_reply_text))) << "no reply started: " << process.finish().err;
    process.signal(SIGINT);
    ProcessResult result = process.finish();
    EXPECT_EQ(result.exit_code, 130) << result.err;
    EXPECT_NE(result.err.find("stopped by Ctrl-C"), std::string::npos) << result.err;
}

TEST(ChatCli, ConversationIsStoredAndResumedWithItsCache) {
    fs::path home = fresh_home("resume");
    auto first = run_process(chat(home, {"--max-tokens", "6"}), "My name is Ada\n/quit\n");
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_TRUE(fs::exists(home / "users" / "default" / "os1.db"));

    auto second = run_process(chat(home, {"--max-tokens", "6"}), "/stats\n");
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_NE(second.err.find("Resuming our conversation (2 earlier messages, context restored from disk)"),
              std::string::npos)
        << second.err;
}

TEST(ChatCli, SlashCommandsWork) {
    auto result = run_process(chat(fresh_home("slash"), {"--max-tokens", "4"}),
                              "/help\nhello\n/stats\n/reset\n/bogus\n/quit\n");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("/reset"), std::string::npos);
    EXPECT_NE(result.out.find("prefilled"), std::string::npos);
    EXPECT_NE(result.out.find("started a new conversation"), std::string::npos);
    EXPECT_NE(result.out.find("unknown command /bogus"), std::string::npos);
}

TEST(ChatCli, CtrlCInAConversationStopsOnlyTheReply) {
    EndlessChat endless(EndlessChat::Headers::Sent, 1);  // only the reply: any later request ends
    FakeServer server([&](httplib::Server& s) { serve_models(s); endless.install(s); }, [&] { endless.stop(); });
    Subprocess process(remote_chat(fresh_home("sigint-chat"), server, {}), "Talk for a long time\n/stats\n");
    ASSERT_TRUE(has_reply_text(process.wait_for_output(has_reply_text))) << "no reply started: " << process.finish().err;
    process.signal(SIGINT);
    ProcessResult result = process.finish();
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("(stopped)"), std::string::npos) << result.err;
    EXPECT_NE(result.out.find("stopped: cancelled"), std::string::npos) << "the chat went on to run /stats";
}

TEST(ChatCli, KillNineLosesNoAcknowledgedTurn) {
    // Each reply's line ends only after it is committed, so every completed line is a turn
    // that must be in the database after SIGKILL, wherever the process was.
    fs::path home = fresh_home("kill9");
    std::string input;
    for (int i = 0; i < 50; ++i)
        input += "message number " + std::to_string(i) + "\n";
    Subprocess process(chat(home, {"--max-tokens", "3"}), input);
    process.wait_for_output([](const std::string& out) { return std::count(out.begin(), out.end(), '\n') >= 3; });
    process.signal(SIGKILL);
    ProcessResult result = process.finish();
    EXPECT_EQ(result.exit_code, 128 + SIGKILL);
    // stdout holds only the replies, each ended by a newline once it is committed.
    const std::string acknowledged = result.out.substr(0, result.out.rfind('\n') + 1);
    ASSERT_GE(std::count(acknowledged.begin(), acknowledged.end(), '\n'), 3) << "the test needs a few replies";

    // Every acknowledged reply, and the question before it, is in the store.
    auto store = os1::memory::ConversationStore::open(home / "users" / "default");
    ASSERT_TRUE(store) << store.error().message;
    auto latest = store->latest_conversation();
    ASSERT_TRUE(latest && latest.value());
    auto turns = store->turns(latest.value()->id).value();
    std::string stored;
    for (size_t i = 0; i < turns.size(); ++i) {
        if (turns[i].role == "assistant") {
            stored += turns[i].content + "\n";
            EXPECT_EQ(turns[i - 1].content, "message number " + std::to_string(i / 2));
        }
    }
    EXPECT_TRUE(stored.starts_with(acknowledged)) << "a reply the user saw completed is missing from the store";
}
