// `os1 memory core` through the real binary: the user reads and edits the core blocks that the
// companion sees in every prompt, with the same size limit and clear errors.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/subprocess.h"
#include "support/temp-dir.h"

using namespace os1::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class MemoryCoreCli : public ::testing::Test {
protected:
    void SetUp() override {
        // A home that does not exist yet: the command makes it.
        m_home = unique_temp_dir(std::string("core-cli-") +
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name()) /
                 "home";
    }

    ProcessResult os1(std::vector<std::string> args) {
        args.insert(args.begin(), {OS1_BINARY, "--home", m_home.string(), "memory", "core"});
        return run_process(args);
    }

    fs::path m_home;
};

}  // namespace

TEST_F(MemoryCoreCli, ShowAppendReplaceAndSetTheBlocks) {
    ProcessResult r = os1({"show", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json shown = json::parse(r.out);
    EXPECT_EQ(shown["blocks"]["human"], "");
    EXPECT_EQ(shown["blocks"]["persona"], "");
    EXPECT_EQ(shown["limit"], 2000);

    r = os1({"append", "Likes to be called Sam.", "--block", "human", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = os1({"append", "Lives in Lisbon.", "--block", "human", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["blocks"]["human"], "Likes to be called Sam.\nLives in Lisbon.");

    r = os1({"replace", "--old", "Lisbon", "--new", "Porto", "--block", "human", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["blocks"]["human"], "Likes to be called Sam.\nLives in Porto.");

    r = os1({"set", "I am Juniper and I like the sea.", "--block", "persona", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("[persona]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("I am Juniper and I like the sea."), std::string::npos) << r.out;

    r = os1({"show", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("[human] 39 of 2000 bytes\nLikes to be called Sam.\nLives in Porto."), std::string::npos)
        << r.out;

    // The companion's memory sees the same blocks: export includes them.
    ProcessResult exported =
        run_process({OS1_BINARY, "--home", m_home.string(), "memory", "export", "--user", "sam", "--json"});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_EQ(json::parse(exported.out)["core"]["persona"], "I am Juniper and I like the sea.");

    r = os1({"set", "", "--block", "persona", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["blocks"]["persona"], "");
}

TEST_F(MemoryCoreCli, BadEditsAreClearErrorsAndChangeNothing) {
    ProcessResult r = os1({"append", "Lives in Porto.", "--block", "human", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;

    r = os1({"replace", "--old", "Berlin", "--new", "Rome", "--block", "human", "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("\"Berlin\" does not occur in it; the block was not changed"), std::string::npos) << r.err;

    r = os1({"append", std::string(2000, 'x'), "--block", "human", "--user", "sam", "--json"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("would exceed its limit of 2000"), std::string::npos) << r.err;
    EXPECT_TRUE(json::parse(r.out).contains("error"));

    r = os1({"append", "x", "--block", "diary", "--user", "sam"});
    EXPECT_EQ(r.exit_code, 2) << "a bad --block is a usage error";
    EXPECT_NE(r.err.find("--block must be persona or human"), std::string::npos) << r.err;

    r = os1({"append", "x", "--user", "sam"});
    EXPECT_EQ(r.exit_code, 2) << "a missing --block is a usage error";
    EXPECT_NE(r.err.find("--block"), std::string::npos) << r.err;

    r = os1({"show", "--user", "../escape"});
    EXPECT_EQ(r.exit_code, 1);

    r = os1({"show", "--block", "human", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json shown = json::parse(r.out)["blocks"];
    EXPECT_EQ(shown.size(), 1u);
    EXPECT_EQ(shown["human"], "Lives in Porto.");
}
