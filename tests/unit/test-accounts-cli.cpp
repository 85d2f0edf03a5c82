// `os1 user` and `os1 token` through the real binary: passwords on stdin, exit statuses, what
// goes to stdout and what to stderr, and what happens to a removed user's data. These hash at the
// real (64 MiB) cost, so they keep to a few passwords.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "accounts/accounts.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

using namespace os1::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class AccountsCli : public ::testing::Test {
protected:
    void SetUp() override {
        m_home = unique_temp_dir(std::string("accounts-cli-") +
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name()) /
                 "home";
    }

    ProcessResult os1(std::vector<std::string> args, const std::string& input = {}) {
        args.insert(args.begin(), {OS1_BINARY, "--home", m_home.string()});
        return run_process(args, input, {{"OS1_NOW", "2026-05-03T12:00:00Z"}, {"TZ", "UTC"}});
    }

    // The store the commands wrote, opened beside them on the same clock (cheap hashes are
    // fine for reading).
    std::unique_ptr<os1::accounts::AccountStore> store() {
        os1::Environment env;
        env.clock = os1::fixed_clock(os1::from_unix_seconds(1'777'809'600));  // OS1_NOW
        auto opened = os1::accounts::AccountStore::open(m_home, env, {os1::accounts::HashCost::Minimal});
        EXPECT_FALSE(opened.is_error()) << opened.error().message;
        return opened.release_value();
    }

    fs::path m_home;
};

}  // namespace

TEST_F(AccountsCli, AddListAndChangeAPassword) {
    ProcessResult r = os1({"user", "add", "sam", "--admin", "--password-stdin"}, "correct horse\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("added \"sam\" as an admin"), std::string::npos) << r.err;

    r = os1({"user", "add", "ana", "--password-stdin"}, "battery staple\r\nignored second line\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;

    r = os1({"user", "list", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out),
              json::parse(R"({"users": [{"name": "ana", "role": "user", "created": "2026-05-03T12:00:00Z"},
                                        {"name": "sam", "role": "admin", "created": "2026-05-03T12:00:00Z"}]})"));
    r = os1({"user", "list"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "ana  user  created 2026-05-03T12:00:00Z\nsam  admin  created 2026-05-03T12:00:00Z\n");

    r = os1({"user", "passwd", "ana", "--password-stdin"}, "new password");  // no newline at the end
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("ended its sessions"), std::string::npos) << r.err;

    auto accounts = store();
    EXPECT_TRUE(accounts->verify_password("sam", "correct horse").value());
    EXPECT_TRUE(accounts->verify_password("ana", "new password").value());
    EXPECT_FALSE(accounts->verify_password("ana", "battery staple").value());

    struct stat info {};
    ASSERT_EQ(::stat((m_home / "accounts.sqlite").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(AccountsCli, RefusalsSayWhyWithTheirExitStatus) {
    ASSERT_EQ(os1({"user", "add", "sam", "--password-stdin"}, "correct horse\n").exit_code, 0);

    ProcessResult r = os1({"user", "add", "sam", "--password-stdin"}, "another password\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("os1 user add: a user named \"sam\" already exists"), std::string::npos) << r.err;

    r = os1({"user", "add", "SAM", "--password-stdin"}, "another password\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("only in case"), std::string::npos) << r.err;

    r = os1({"user", "add", "../../x", "--password-stdin"}, "correct horse\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("is not a valid user name"), std::string::npos) << r.err;

    r = os1({"user", "add", "ana", "--password-stdin"}, "short\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("the password is too short (5 bytes); use at least 8"), std::string::npos) << r.err;

    r = os1({"user", "add", "ana", "--password-stdin"}, std::string(5000, 'x') + "\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("the password is too long"), std::string::npos) << r.err;

    r = os1({"user", "add", "ana", "--password-stdin"}, "");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("stdin is empty"), std::string::npos) << r.err;

    // Without --password-stdin the password must be typed, and stdin here is a pipe.
    r = os1({"user", "add", "ana"}, "correct horse\n");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--password-stdin"), std::string::npos) << r.err;
    r = os1({"user", "passwd", "sam"}, "correct horse\n");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--password-stdin"), std::string::npos) << r.err;

    r = os1({"user", "passwd", "nobody", "--password-stdin"}, "correct horse\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("there is no user named \"nobody\""), std::string::npos) << r.err;

    EXPECT_EQ(os1({"user", "add"}).exit_code, 2) << "a missing NAME is a usage error";
    EXPECT_EQ(os1({"user", "add", "ana", "--bogus"}).exit_code, 2);
    EXPECT_EQ(os1({"token", "revoke", "--user", "sam", "not-a-number"}).exit_code, 2);
    EXPECT_EQ(os1({"token", "create"}).exit_code, 2) << "--user is required";

    auto accounts = store();
    EXPECT_EQ(accounts->user_count().value(), 1u);
}

TEST_F(AccountsCli, TokensAreShownOnceAndRevoked) {
    ASSERT_EQ(os1({"user", "add", "sam", "--password-stdin"}, "correct horse\n").exit_code, 0);
    ASSERT_EQ(os1({"user", "add", "ana", "--password-stdin"}, "battery staple\n").exit_code, 0);

    ProcessResult r = os1({"token", "create", "--user", "sam", "--label", "phone"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.out.size(), 48u) << r.out;  // "os1_" + 43 + "\n"
    const std::string token = r.out.substr(0, 47);
    EXPECT_EQ(token.substr(0, 4), "os1_");
    EXPECT_EQ(r.out.back(), '\n');
    EXPECT_NE(r.err.find("shown this once only"), std::string::npos) << r.err;

    EXPECT_EQ(store()->user_for_token(token).value(), "sam");

    r = os1({"token", "list", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json listed = json::parse(r.out);
    EXPECT_EQ(listed["user"], "sam");
    ASSERT_EQ(listed["tokens"].size(), 1u);
    const int64_t id = listed["tokens"][0]["id"];
    EXPECT_EQ(listed["tokens"][0]["label"], "phone");
    EXPECT_EQ(listed["tokens"][0]["created"], "2026-05-03T12:00:00Z");
    EXPECT_EQ(listed["tokens"][0]["last_used"], "2026-05-03T12:00:00Z") << "the lookup above used it";
    EXPECT_EQ(r.out.find(token.substr(4)), std::string::npos) << "the list never shows the token";

    r = os1({"token", "list", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("phone"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(token.substr(4)), std::string::npos);

    // Another user's id revokes nothing.
    r = os1({"token", "revoke", "--user", "ana", std::to_string(id)});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("\"ana\" has no token"), std::string::npos) << r.err;
    EXPECT_EQ(store()->user_for_token(token).value(), "sam");

    r = os1({"token", "revoke", "--user", "sam", std::to_string(id)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(store()->user_for_token(token).value());

    r = os1({"token", "create", "--user", "nobody"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("there is no user named \"nobody\""), std::string::npos) << r.err;
    r = os1({"token", "create", "--user", "sam", "--label", "two\nlines"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
}

TEST_F(AccountsCli, RemoveKeepsTheDataUnlessAskedToDeleteIt) {
    ASSERT_EQ(os1({"user", "add", "sam", "--password-stdin"}, "correct horse\n").exit_code, 0);
    ASSERT_EQ(os1({"user", "add", "ana", "--password-stdin"}, "battery staple\n").exit_code, 0);
    // Some data of each, as a chat would leave it.
    for (const char* user : {"sam", "ana"}) {
        fs::create_directories(m_home / "users" / user);
        std::ofstream(m_home / "users" / user / "os1.db") << "data";
    }
    ProcessResult r = os1({"token", "create", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string token = r.out.substr(0, 47);

    r = os1({"user", "remove", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("its data was kept in " + (m_home / "users" / "sam").string()), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(m_home / "users" / "sam" / "os1.db"));
    EXPECT_FALSE(store()->user_for_token(token).value()) << "removing the user revoked its token";

    r = os1({"user", "remove", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("there is no user named \"sam\""), std::string::npos) << r.err;

    // Added again, the account owns the data that was kept, and says so.
    r = os1({"user", "add", "sam", "--password-stdin"}, "correct horse\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("is this account's from now on"), std::string::npos) << r.err;

    r = os1({"user", "remove", "ana", "--delete-data"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("deleted its data"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(m_home / "users" / "ana"));
    EXPECT_TRUE(fs::exists(m_home / "users" / "sam" / "os1.db")) << "only that user's folder goes";

    r = os1({"user", "remove", "../sam", "--delete-data"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(fs::exists(m_home / "users" / "sam" / "os1.db"));

    r = os1({"user", "list", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(json::parse(r.out)["users"].size(), 1u);
}

TEST_F(AccountsCli, HelpDescribesEveryCommand) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"user", "--help"},
                                                 {"user", "add", "--help"},
                                                 {"user", "remove", "--help"},
                                                 {"user", "list", "--help"},
                                                 {"user", "passwd", "--help"},
                                                 {"token", "--help"},
                                                 {"token", "create", "--help"},
                                                 {"token", "list", "--help"},
                                                 {"token", "revoke", "--help"}}) {
        ProcessResult r = os1(args);
        EXPECT_EQ(r.exit_code, 0) << args[0] << " " << args[1];
        EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
    }
    EXPECT_NE(os1({"user", "add", "--help"}).out.find("--password-stdin"), std::string::npos);
    EXPECT_NE(os1({"user", "remove", "--help"}).out.find("--delete-data"), std::string::npos);
}
