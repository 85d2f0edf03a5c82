// The os1 binary against mistaken and hostile input: ids that are not ids, usage errors under
// --json, broken or unreadable import files, and stored text (a card, an import, the journal, a
// model's reply) that would steer the terminal it is printed on.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "affect/affect.h"
#include "affect/companion-state.h"
#include "core/clock.h"
#include "core/database.h"
#include "support/fake-openai-server.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

using namespace os1::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const EnvironmentVariables at_noon_utc = {{"OS1_NOW", "2026-05-03T12:00:00Z"}, {"TZ", "UTC0"}};

class CliInput : public ::testing::Test {
protected:
    void SetUp() override {
        m_home = unique_temp_dir(std::string("cli-input-") +
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_FALSE(m_home.empty());
    }

    ProcessResult os1(std::vector<std::string> args) {
        args.insert(args.begin(), {OS1_BINARY, "--home", m_home.string()});
        return run_process(args, {}, at_noon_utc);
    }

    fs::path write(const std::string& name, const std::string& text) {
        fs::path file = m_home / name;
        std::ofstream(file, std::ios::binary) << text;
        return file;
    }

    // Imports one turn saying `text` for the user "sam"; returns its memory id.
    int64_t remember(const std::string& text) {
        const fs::path file = write("turn.jsonl", json({{"id", "t1"},
                                                        {"conversation", "c"},
                                                        {"role", "user"},
                                                        {"time", "2026-05-01T10:00:00Z"},
                                                        {"text", text}})
                                                          .dump() +
                                                      "\n");
        ProcessResult r = os1({"memory", "import", file.string(), "--user", "sam"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        r = os1({"memory", "list", "--user", "sam", "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        const json memories = json::parse(r.out)["memories"];
        EXPECT_EQ(memories.size(), 1u) << r.out;
        return memories.empty() ? -1 : memories[0]["id"].get<int64_t>();
    }

    fs::path m_home;
};

}  // namespace

// 2^64-1 once became the largest id (or -1), "+5" and " 5" became 5, and "010" could be read as
// octal: a typo then named another memory. An id is digits only, within a 64-bit signed integer.
TEST_F(CliInput, AMemoryIdIsDigitsOnlyWithinRange) {
    const int64_t id = remember("I keep bees on the roof.");
    ASSERT_GT(id, 0);
    for (const std::string bad : {"18446744073709551615", "9223372036854775808", "-1", "+1", " 1", "1 ", "0x1", "1e0",
                                  "1.0", ""}) {
        for (std::vector<std::string> command : std::vector<std::vector<std::string>>{
                 {"memory", "show", bad, "--user", "sam"},
                 {"memory", "edit", bad, "changed", "--user", "sam"},
                 {"memory", "forget", bad, "--user", "sam"}}) {
            const ProcessResult r = os1(command);
            EXPECT_EQ(r.exit_code, 2) << command[1] << " \"" << bad << "\": " << r.err;
            EXPECT_NE(r.err.find("\"" + bad + "\" is not an id"), std::string::npos) << r.err;
        }
    }
    ProcessResult r = os1({"token", "revoke", "--user", "sam", "18446744073709551615"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("\"18446744073709551615\" is not an id"), std::string::npos) << r.err;

    // Nothing was changed or forgotten by the refused ids.
    r = os1({"memory", "show", std::to_string(id), "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["text"], "I keep bees on the roof.");

    // Leading zeros are decimal, and the largest id is an id (of no memory).
    r = os1({"memory", "show", "0" + std::to_string(id), "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["id"], id);
    r = os1({"memory", "show", "010", "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no memory 10\n"), std::string::npos) << r.err;
    r = os1({"memory", "show", "9223372036854775807", "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no memory 9223372036854775807"), std::string::npos) << r.err;
}

// Usage errors exit with 2, as README.md documents, whether CLI11 or the command finds them;
// they name the command, and with --json stdout holds the error object every command prints
// for its errors, so that a script reading JSON gets JSON.
TEST_F(CliInput, UsageErrorsExitWith2AndAreJsonUnderJson) {
    const std::vector<std::vector<std::string>> usage_errors = {
        {"memory", "search", "--json"},                          // a missing argument
        {"memory", "search", "x", "-k", "0", "--json"},          // out of range
        {"memory", "list", "--limit", "many", "--json"},         // not a number
        {"memory", "list", "--bogus", "--json"},                 // an unknown option
        {"memory", "show", "abc", "--json"},                     // not an id
        {"memory", "list", "--kind", "dream", "--json"},         // checked by the command
        {"memory", "forget", "--json"},                          // neither an id nor --all
        {"memory", "search", "x", "--at", "yesterday", "--json"},
        {"memory", "import", "f.jsonl", "--format", "csv", "--json"},
        {"memory", "core", "append", "x", "--block", "diary", "--json"},
        {"chat", "--json"},                                      // --json needs --once
    };
    for (const std::vector<std::string>& command : usage_errors) {
        std::string words;
        for (const std::string& word : command)
            words += " " + word;
        ProcessResult r = os1(command);
        EXPECT_EQ(r.exit_code, 2) << words << ": " << r.err;
        EXPECT_EQ(r.err.rfind("os1 " + command[0], 0), 0u) << words << ": " << r.err;
        const json error = json::parse(r.out, nullptr, false);
        ASSERT_TRUE(error.is_object()) << words << ": " << r.out;
        ASSERT_EQ(error.size(), 1u) << words << ": " << r.out;
        ASSERT_TRUE(error["error"].is_string()) << words << ": " << r.out;
        EXPECT_NE(r.err.find(error["error"].get<std::string>()), std::string::npos) << words << ": " << r.err;

        // Without --json, the same error on stderr only.
        std::vector<std::string> plain = command;
        plain.pop_back();
        if (plain == std::vector<std::string>{"chat"})
            continue;  // plain `os1 chat` would start a conversation
        r = os1(plain);
        EXPECT_EQ(r.exit_code, 2) << words << ": " << r.err;
        EXPECT_EQ(r.out, "") << words;
        EXPECT_NE(r.err, "") << words;
    }

    // An argument that is not UTF-8 is quoted in the error as U+FFFD: JSON text is UTF-8, and the
    // error object is printed rather than the JSON library's exception (or an abort).
    ProcessResult r = os1({"memory", "show", "\xff", "--json"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(json::parse(r.out)["error"].get<std::string>().find("\"\xEF\xBF\xBD\" is not an id"), 4u) << r.out;
    EXPECT_NE(r.err.find("\"\\xff\" is not an id"), std::string::npos) << r.err;
    r = os1({"memory", "import", (m_home / "\xff.jsonl").string(), "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(json::parse(r.out)["error"],
              (m_home / "\xEF\xBF\xBD.jsonl").string() + ": no such file (an import); nothing was imported");

    // --help is no error, and "--json" after "--" is an argument, not the flag.
    r = os1({"memory", "--help"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = os1({"memory", "show", "--", "--json"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
}

// A number beyond a double's range (1e999) in a card or an export is the file's error: named
// with the file (and line), saying that nothing was imported, never a raw parser exception.
TEST_F(CliInput, AnOverflowingNumberNamesTheFileAndImportsNothing) {
    const fs::path card = write("card.json", R"({"spec":"chara_card_v2","spec_version":"2.0","data":{"name":"Ada",
        "description":"d","personality":"","scenario":"","first_mes":"","mes_example":"","extensions":{"n":1e999}}})");
    ProcessResult r = os1({"persona", "import", card.string(), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "os1 persona import: " + card.string() +
                         ": invalid JSON: number overflow parsing '1e999'; nothing was imported\n");
    EXPECT_FALSE(fs::exists(m_home / "users" / "sam"));

    const fs::path chatgpt = write("conversations.json", R"([{"title":"t","create_time":1e999,"mapping":{}}])");
    r = os1({"memory", "import", chatgpt.string(), "--format", "chatgpt", "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "os1 memory import: " + chatgpt.string() +
                         ": holds a number too large to represent; nothing was imported\n");

    const fs::path jsonl = write("chat.jsonl", R"({"id":"1","conversation":"c","role":"user","text":"hi","time":1e999})"
                                               "\n");
    r = os1({"memory", "import", jsonl.string(), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "os1 memory import: " + jsonl.string() +
                         ":1: holds a number too large to represent; nothing was imported\n");
    EXPECT_FALSE(fs::exists(m_home / "users" / "sam" / "os1.db"));
}

// A folder or a file that cannot be read is no empty export: "imported 0 new turns" with exit 0
// would tell a script that all went well.
TEST_F(CliInput, ImportingAFolderOrAnUnreadableFileFails) {
    ProcessResult r = os1({"memory", "import", m_home.string(), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "os1 memory import: " + m_home.string() +
                         ": is a folder, not a regular file; an import must be a file; nothing was imported\n");
    r = os1({"memory", "import", "/proc/self/mem", "--user", "sam", "--json"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "os1 memory import: /proc/self/mem: cannot be read (Input/output error); nothing was imported\n");
    EXPECT_EQ(json::parse(r.out)["error"],
              "/proc/self/mem: cannot be read (Input/output error); nothing was imported");
    r = os1({"persona", "import", m_home.string(), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "os1 persona import: " + m_home.string() +
                         ": is a folder, not a regular file; a character card must be a file; nothing was imported\n");
}

namespace {

// Text a hostile card or export could carry: a window title set, a screen cleared, a bell, DEL,
// a C1 CSI (U+009B) and a carriage return that would hide what came before it.
const std::string hostile = "Ada\x1b]0;owned\x07\x1b[2J\x7f\xC2\x9B" "31m\rhidden";
const std::string hostile_shown = "Ada\\x1b]0;owned\\x07\\x1b[2J\\x7f\\u009b31m\\x0dhidden";

// The first byte a terminal would obey as a control in `printed`, described; "" when none.
std::string first_control(const std::string& printed) {
    for (size_t i = 0; i < printed.size(); ++i) {
        const auto byte = static_cast<unsigned char>(printed[i]);
        const bool line_end = byte == '\n' || (byte == '\r' && i + 1 < printed.size() && printed[i + 1] == '\n');
        const bool c1 = byte == 0xC2 && i + 1 < printed.size() && static_cast<unsigned char>(printed[i + 1]) < 0xA0;
        if ((byte < 0x20 && byte != '\t' && !line_end) || byte == 0x7F || c1)
            return "byte " + std::to_string(byte) + " at " + std::to_string(i) + " of: " + printed;
    }
    return "";
}

}  // namespace

// Whatever os1 prints from a card, an import, the journal or a core block reaches the terminal
// with its control characters escaped, on stdout and in errors on stderr; --json keeps the text
// exact, since JSON escapes it.
TEST_F(CliInput, StoredTextNeverReachesTheTerminalRaw) {
    const fs::path card = write("card.json", json({{"spec", "chara_card_v2"},
                                                   {"spec_version", "2.0"},
                                                   {"data",
                                                    {{"name", hostile},
                                                     {"description", "line one\nline two " + hostile},
                                                     {"personality", hostile},
                                                     {"scenario", ""},
                                                     {"first_mes", ""},
                                                     {"mes_example", ""},
                                                     {"creator", hostile}}}})
                                                     .dump());
    std::vector<ProcessResult> shown;
    ProcessResult r = os1({"persona", "import", card.string(), "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    shown.push_back(r);
    r = os1({"persona", "show", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(hostile_shown + "\ndescription: line one\nline two " + hostile_shown + "\n"),
              std::string::npos)
        << r.out;
    shown.push_back(r);
    r = os1({"mood", "--user", "sam"});  // its report names the companion
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind(hostile_shown + " feels", 0), 0u) << r.out;
    shown.push_back(r);

    const int64_t id = remember("bees " + hostile + "\nnext line");
    r = os1({"memory", "list", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // A listing is one line per memory: the line break is escaped too.
    EXPECT_NE(r.out.find("bees " + hostile_shown + "\\nnext line\n"), std::string::npos) << r.out;
    shown.push_back(r);
    shown.push_back(os1({"memory", "search", "bees", "--user", "sam"}));
    shown.push_back(os1({"memory", "show", std::to_string(id), "--user", "sam"}));
    r = os1({"memory", "list", "--user", "sam", "--json"});
    EXPECT_EQ(json::parse(r.out)["memories"][0]["text"], "bees " + hostile + "\nnext line");

    r = os1({"memory", "core", "set", "first\n" + hostile, "--block", "human", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    shown.push_back(r);
    r = os1({"memory", "core", "show", "--user", "sam"});
    EXPECT_NE(r.out.find("first\n" + hostile_shown + "\n"), std::string::npos) << r.out;
    shown.push_back(r);

    // Errors that quote a file's contents or an argument.
    const fs::path bad_role = write("role.jsonl", json({{"id", "t1"},
                                                       {"conversation", "c"},
                                                       {"role", hostile},
                                                       {"time", "2026-05-01T10:00:00Z"},
                                                       {"text", "hi"}})
                                                         .dump() +
                                                     "\n");
    r = os1({"memory", "import", bad_role.string(), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("role \"" + hostile_shown + "\" is not"), std::string::npos) << r.err;
    shown.push_back(r);
    r = os1({"memory", "show", hostile, "--user", "sam"});
    EXPECT_EQ(r.exit_code, 2);
    shown.push_back(r);

    for (const ProcessResult& result : shown) {
        EXPECT_EQ(first_control(result.out), "");
        EXPECT_EQ(first_control(result.err), "");
    }
}

// The journal holds text the model wrote, and summaries quote the conversation.
TEST_F(CliInput, JournalEntriesReachTheTerminalEscaped) {
    const fs::path user_dir = m_home / "users" / "sam";
    fs::create_directories(user_dir);
    const os1::Timestamp now = os1::from_unix_seconds(1777809600);  // OS1_NOW
    {
        auto appraiser = os1::affect::Appraiser::load(os1::affect::default_vader_lexicon_path());
        ASSERT_TRUE(appraiser) << appraiser.error().message;
        auto state = os1::affect::CompanionState::open(user_dir, os1::affect::BigFive{},
                                                       os1::fixed_clock(now - std::chrono::hours(30)),
                                                       os1::fixed_utc_offset(std::chrono::seconds(0)));
        ASSERT_TRUE(state) << state.error().message;
        const std::string said = "I am so happy today, thank you!";
        ASSERT_TRUE(state->observe_user_message(said, appraiser->appraise(said)));
    }
    ProcessResult r = os1({"journal", "--user", "sam", "--json"});  // writes the finished day's entry
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(json::parse(r.out).size(), 1u) << r.out;
    {
        auto db = os1::Database::open(user_dir / "os1.db");
        ASSERT_TRUE(db) << db.error().message;
        auto update = db->prepare("UPDATE journal SET text = ?1, summary = ?1, author = 'model'");
        ASSERT_TRUE(update) << update.error().message;
        update->bind(1, "Dear diary,\n" + hostile);
        ASSERT_TRUE(update->step());
    }
    r = os1({"journal", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Dear diary,\n" + hostile_shown), std::string::npos) << r.out;
    EXPECT_EQ(first_control(r.out), "");
    r = os1({"journal", "--user", "sam", "--json"});
    EXPECT_EQ(json::parse(r.out)[0]["text"], "Dear diary,\n" + hostile);
}

// A model can be led to write control characters (by a card, by a memory it recalls): the reply
// streams to the terminal escaped, and --json still carries it exactly.
TEST_F(CliInput, AStreamedReplyReachesTheTerminalEscaped) {
    const std::vector<std::string> pieces = {"Hi \x1b[2J", "\xC2\x9B" "31m", " there\r", "\nbye\x07"};
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        s.Post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
            std::string stream;
            for (const std::string& piece : pieces)
                stream += delta_event(piece);
            res.set_content(stream + delta_event("", "stop") + "data: [DONE]\n\n", "text/event-stream");
        });
    });
    const std::vector<std::string> chat = {"chat", "--once", "hello", "--no-learning", "--backend", "openai",
                                           "--base-url", server.base_url()};
    ProcessResult r = os1(chat);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "Hi \\x1b[2J\\u009b31m there\r\nbye\\x07\n");
    EXPECT_EQ(first_control(r.out), "");

    std::vector<std::string> with_json = chat;
    with_json.push_back("--json");
    r = os1(with_json);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["reply"], "Hi \x1b[2J\xC2\x9B" "31m there\r\nbye\x07");
}
