// The account store: users and passwords, API tokens, browser sessions, what survives a reopen,
// and two stores writing to one home at once. Passwords are hashed at the minimal cost here;
// the argon2id work itself is libsodium's and is the same at any cost.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "accounts/accounts.h"
#include "accounts/password-hash.h"
#include "support/temp-dir.h"

using namespace os1;
using namespace os1::accounts;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr int64_t start_seconds = 1'780'000'000;  // 2026-05-28

// A clock the test moves by hand.
struct ManualClock {
    std::shared_ptr<std::atomic<int64_t>> seconds = std::make_shared<std::atomic<int64_t>>(start_seconds);

    Clock clock() const {
        return [s = seconds] { return from_unix_seconds(s->load()); };
    }
    void advance(std::chrono::seconds by) { *seconds += by.count(); }
};

class Accounts : public ::testing::Test {
protected:
    void SetUp() override {
        m_home = test::unique_temp_dir(std::string("accounts-") +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name()) /
                 "home";
        m_store = open_store();
    }

    std::unique_ptr<AccountStore> open_store() {
        Environment env;
        env.clock = m_clock.clock();
        auto store = AccountStore::open(m_home, env, AccountOptions{HashCost::Minimal});
        EXPECT_FALSE(store.is_error()) << store.error().message;
        return store.release_value();
    }

    ManualClock m_clock;
    fs::path m_home;
    std::unique_ptr<AccountStore> m_store;
};

template <typename T>
T ok(ErrorOr<T> result) {
    EXPECT_FALSE(result.is_error()) << result.error().message;
    return result.release_value();
}

void ok(ErrorOr<void> result) {
    EXPECT_FALSE(result.is_error()) << result.error().message;
}

template <typename T>
ErrorKind kind_of(const ErrorOr<T>& result) {
    EXPECT_TRUE(result.is_error());
    return result.is_error() ? result.error().kind : ErrorKind::Internal;
}

}  // namespace

TEST_F(Accounts, AddsUsersWithRolesAndListsThemByName) {
    EXPECT_EQ(ok(m_store->user_count()), 0u);
    ok(m_store->add_user("sam", "correct horse"));
    m_clock.advance(10s);
    ok(m_store->add_user("Ana Lúcia", "battery staple", Role::Admin));

    std::vector<UserRecord> users = ok(m_store->list_users());
    ASSERT_EQ(users.size(), 2u);
    EXPECT_EQ(users[0].name, "Ana Lúcia");
    EXPECT_TRUE(users[0].admin);
    EXPECT_EQ(users[0].created, start_seconds + 10);
    EXPECT_EQ(users[1].name, "sam");
    EXPECT_FALSE(users[1].admin);
    EXPECT_EQ(users[1].created, start_seconds);
    EXPECT_EQ(ok(m_store->user_count()), 2u);

    std::optional<UserRecord> found = ok(m_store->find_user("sam"));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->name, "sam");
    EXPECT_FALSE(ok(m_store->find_user("nobody")));
    EXPECT_FALSE(ok(m_store->find_user("../sam")));
}

TEST_F(Accounts, TheDatabaseIsReadableByItsOwnerOnly) {
    struct stat info {};
    ASSERT_EQ(::stat((m_home / "accounts.sqlite").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    EXPECT_EQ(m_store->path(), m_home / "accounts.sqlite");
}

TEST_F(Accounts, ATakenNameIsAConflictAlsoInAnotherCase) {
    ok(m_store->add_user("sam", "correct horse"));
    auto again = m_store->add_user("sam", "another password");
    EXPECT_EQ(kind_of(again), ErrorKind::Conflict);
    EXPECT_EQ(again.error().message, "a user named \"sam\" already exists; choose another name");

    auto cased = m_store->add_user("SAM", "another password");
    EXPECT_EQ(kind_of(cased), ErrorKind::Conflict);
    EXPECT_NE(cased.error().message.find("only in case"), std::string::npos) << cased.error().message;
    EXPECT_EQ(ok(m_store->user_count()), 1u);
    // The first password still holds.
    EXPECT_TRUE(ok(m_store->verify_password("sam", "correct horse")));
}

TEST_F(Accounts, NamesThatCouldLeaveTheUsersFolderAreRefused) {
    for (const char* name : {"../../x", "", "..", "a/b", " sam", "sam\n"}) {
        auto added = m_store->add_user(name, "correct horse");
        EXPECT_EQ(kind_of(added), ErrorKind::InvalidInput) << name;
        EXPECT_NE(added.error().message.find("is not a valid user name"), std::string::npos) << added.error().message;
        EXPECT_EQ(kind_of(m_store->remove_user(name)), ErrorKind::InvalidInput) << name;
        EXPECT_EQ(kind_of(m_store->create_token(name, "")), ErrorKind::InvalidInput) << name;
        EXPECT_FALSE(ok(m_store->verify_password(name, "correct horse"))) << name;
    }
    EXPECT_EQ(ok(m_store->user_count()), 0u);
}

TEST_F(Accounts, PasswordsAreEightTo1024BytesOfUtf8) {
    auto short_one = m_store->add_user("sam", "1234567");
    EXPECT_EQ(kind_of(short_one), ErrorKind::InvalidInput);
    EXPECT_EQ(short_one.error().message, "the password is too short (7 bytes); use at least 8");

    auto long_one = m_store->add_user("sam", std::string(1025, 'x'));
    EXPECT_EQ(kind_of(long_one), ErrorKind::InvalidInput);
    EXPECT_EQ(long_one.error().message, "the password is too long (1025 bytes); use at most 1024");

    auto binary = m_store->add_user("sam", "abcdefg\xff");
    EXPECT_EQ(kind_of(binary), ErrorKind::InvalidInput);
    EXPECT_EQ(binary.error().message, "the password is not valid UTF-8; use text");
    EXPECT_EQ(ok(m_store->user_count()), 0u);

    ok(m_store->add_user("eight", "12345678"));
    ok(m_store->add_user("longest", std::string(1024, 'x')));
    ok(m_store->add_user("accents", "pãssword çafé"));
    EXPECT_TRUE(ok(m_store->verify_password("eight", "12345678")));
    EXPECT_TRUE(ok(m_store->verify_password("longest", std::string(1024, 'x'))));
    EXPECT_FALSE(ok(m_store->verify_password("longest", std::string(1025, 'x'))));
    EXPECT_TRUE(ok(m_store->verify_password("accents", "pãssword çafé")));
}

TEST_F(Accounts, VerifiesTheRightPasswordOnly) {
    ok(m_store->add_user("sam", "correct horse"));
    ok(m_store->add_user("ana", "battery staple"));
    EXPECT_TRUE(ok(m_store->verify_password("sam", "correct horse")));
    EXPECT_FALSE(ok(m_store->verify_password("sam", "correct horsE")));
    EXPECT_FALSE(ok(m_store->verify_password("sam", "battery staple")));
    EXPECT_FALSE(ok(m_store->verify_password("sam", "")));
    EXPECT_FALSE(ok(m_store->verify_password("Sam", "correct horse")));
    EXPECT_FALSE(ok(m_store->verify_password("nobody", "correct horse")));
}

TEST_F(Accounts, AnUnknownUserCostsTheSameArgon2Work) {
    ok(m_store->add_user("sam", "correct horse"));
    ok(m_store->verify_password("sam", "warm-up: makes the dummy hash"));

    const uint64_t before_known = accounts::detail::password_work_done();
    EXPECT_FALSE(ok(m_store->verify_password("sam", "wrong password")));
    const uint64_t known = accounts::detail::password_work_done() - before_known;

    const uint64_t before_unknown = accounts::detail::password_work_done();
    EXPECT_FALSE(ok(m_store->verify_password("nobody", "wrong password")));
    const uint64_t unknown = accounts::detail::password_work_done() - before_unknown;

    const uint64_t before_invalid = accounts::detail::password_work_done();
    EXPECT_FALSE(ok(m_store->verify_password("../nobody", "wrong password")));
    const uint64_t invalid = accounts::detail::password_work_done() - before_invalid;

    EXPECT_EQ(known, 1u);
    EXPECT_EQ(unknown, known);
    EXPECT_EQ(invalid, known);
}

TEST_F(Accounts, SetPasswordReplacesItAndEndsTheSessions) {
    ok(m_store->add_user("sam", "correct horse"));
    ok(m_store->add_user("ana", "battery staple"));
    auto [sam_secret, sam_session] = ok(m_store->create_session("sam", 1h));
    auto [ana_secret, ana_session] = ok(m_store->create_session("ana", 1h));
    auto [token, token_text] = ok(m_store->create_token("sam", "phone"));

    ok(m_store->set_password("sam", "new password"));
    EXPECT_FALSE(ok(m_store->verify_password("sam", "correct horse")));
    EXPECT_TRUE(ok(m_store->verify_password("sam", "new password")));
    EXPECT_FALSE(ok(m_store->session(sam_secret)));
    EXPECT_TRUE(ok(m_store->session(ana_secret))) << "another user's session stays";
    EXPECT_EQ(ok(m_store->user_for_token(token_text)), "sam") << "tokens are not sessions; they stay";

    EXPECT_EQ(kind_of(m_store->set_password("nobody", "new password")), ErrorKind::NotFound);
    EXPECT_EQ(kind_of(m_store->set_password("sam", "short")), ErrorKind::InvalidInput);
    EXPECT_TRUE(ok(m_store->verify_password("sam", "new password")));
}

TEST_F(Accounts, RemovingAUserRevokesItsTokensAndSessions) {
    ok(m_store->add_user("sam", "correct horse"));
    ok(m_store->add_user("ana", "battery staple"));
    auto [sam_token, sam_text] = ok(m_store->create_token("sam", "phone"));
    auto [ana_token, ana_text] = ok(m_store->create_token("ana", "laptop"));
    auto [sam_secret, sam_session] = ok(m_store->create_session("sam", 1h));

    EXPECT_TRUE(ok(m_store->remove_user("sam")));
    EXPECT_FALSE(ok(m_store->remove_user("sam")));
    EXPECT_FALSE(ok(m_store->remove_user("nobody")));
    EXPECT_FALSE(ok(m_store->user_for_token(sam_text)));
    EXPECT_FALSE(ok(m_store->session(sam_secret)));
    EXPECT_FALSE(ok(m_store->verify_password("sam", "correct horse")));
    EXPECT_EQ(kind_of(m_store->list_tokens("sam")), ErrorKind::NotFound);
    EXPECT_EQ(ok(m_store->user_for_token(ana_text)), "ana");

    // A new account of the same name gets nothing of the old one's.
    ok(m_store->add_user("sam", "another password"));
    EXPECT_TRUE(ok(m_store->list_tokens("sam")).empty());
    EXPECT_FALSE(ok(m_store->user_for_token(sam_text)));
    EXPECT_FALSE(ok(m_store->session(sam_secret)));
}

TEST_F(Accounts, TokensAreCreatedLookedUpListedAndRevoked) {
    ok(m_store->add_user("sam", "correct horse"));
    auto [record, text] = ok(m_store->create_token("sam", "phone"));
    EXPECT_GT(record.id, 0);
    EXPECT_EQ(record.user, "sam");
    EXPECT_EQ(record.label, "phone");
    EXPECT_EQ(record.created, start_seconds);
    EXPECT_EQ(record.last_used, 0);
    ASSERT_EQ(text.size(), 47u);
    EXPECT_EQ(text.substr(0, 4), "os1_");
    EXPECT_EQ(text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", 4),
              std::string::npos)
        << text;

    auto [second, second_text] = ok(m_store->create_token("sam", ""));
    EXPECT_NE(second_text, text);
    EXPECT_GT(second.id, record.id);

    m_clock.advance(100s);
    EXPECT_EQ(ok(m_store->user_for_token(text)), "sam");
    std::vector<TokenRecord> tokens = ok(m_store->list_tokens("sam"));
    ASSERT_EQ(tokens.size(), 2u);
    EXPECT_EQ(tokens[0].id, record.id);
    EXPECT_EQ(tokens[0].label, "phone");
    EXPECT_EQ(tokens[0].last_used, start_seconds + 100);
    EXPECT_EQ(tokens[1].last_used, 0);

    // last_used moves at most once a minute.
    m_clock.advance(30s);
    EXPECT_EQ(ok(m_store->user_for_token(text)), "sam");
    EXPECT_EQ(ok(m_store->list_tokens("sam"))[0].last_used, start_seconds + 100);
    m_clock.advance(30s);
    EXPECT_EQ(ok(m_store->user_for_token(text)), "sam");
    EXPECT_EQ(ok(m_store->list_tokens("sam"))[0].last_used, start_seconds + 160);

    EXPECT_TRUE(ok(m_store->revoke_token("sam", record.id)));
    EXPECT_FALSE(ok(m_store->revoke_token("sam", record.id)));
    EXPECT_FALSE(ok(m_store->user_for_token(text)));
    EXPECT_EQ(ok(m_store->user_for_token(second_text)), "sam");
    ASSERT_EQ(ok(m_store->list_tokens("sam")).size(), 1u);

    // Ids are never reused, so a revoked id cannot name a newer token.
    auto [third, third_text] = ok(m_store->create_token("sam", "tablet"));
    EXPECT_GT(third.id, second.id);
}

TEST_F(Accounts, AnotherUsersTokenIdRevokesNothing) {
    ok(m_store->add_user("sam", "correct horse"));
    ok(m_store->add_user("ana", "battery staple"));
    auto [sam_token, sam_text] = ok(m_store->create_token("sam", "phone"));
    EXPECT_FALSE(ok(m_store->revoke_token("ana", sam_token.id)));
    EXPECT_EQ(ok(m_store->user_for_token(sam_text)), "sam");
    EXPECT_TRUE(ok(m_store->list_tokens("ana")).empty());
    EXPECT_EQ(kind_of(m_store->create_token("nobody", "x")), ErrorKind::NotFound);
    EXPECT_EQ(kind_of(m_store->list_tokens("nobody")), ErrorKind::NotFound);
}

TEST_F(Accounts, MalformedOrUnknownTokensOpenNothing) {
    ok(m_store->add_user("sam", "correct horse"));
    auto [record, text] = ok(m_store->create_token("sam", "phone"));
    const std::string body = text.substr(4);
    std::string flipped = text;
    flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
    const std::vector<std::string> bad = {
        "",
        "os1_",
        body,                               // no prefix
        "os2_" + body,                      // wrong prefix
        text + "A",                         // too long
        text.substr(0, text.size() - 1),    // too short
        "os1_" + body.substr(0, 42) + "=",  // padding is not base64url without padding
        "os1_" + body.substr(0, 42) + "+",  // standard base64, not base64url
        flipped,
        "os1_" + std::string(43, 'A'),
        text + std::string(1, '\0'),
        std::string(1, '\0') + text,
    };
    for (const std::string& token : bad)
        EXPECT_FALSE(ok(m_store->user_for_token(token))) << token;
    EXPECT_EQ(ok(m_store->user_for_token(text)), "sam");
}

TEST_F(Accounts, LabelsAreShortPlainText) {
    ok(m_store->add_user("sam", "correct horse"));
    EXPECT_EQ(kind_of(m_store->create_token("sam", std::string(101, 'x'))), ErrorKind::InvalidInput);
    EXPECT_EQ(kind_of(m_store->create_token("sam", "two\nlines")), ErrorKind::InvalidInput);
    EXPECT_EQ(kind_of(m_store->create_token("sam", "\xc3")), ErrorKind::InvalidInput);
    ok(m_store->create_token("sam", std::string(100, 'x')));
    ok(m_store->create_token("sam", "téléphone de Sam"));
}

TEST_F(Accounts, SessionsExpireOnTheInjectedClockAndEnd) {
    ok(m_store->add_user("sam", "correct horse"));
    auto [secret, session] = ok(m_store->create_session("sam", 1h));
    EXPECT_EQ(secret.size(), 43u);
    EXPECT_EQ(session.user, "sam");
    EXPECT_EQ(session.csrf.size(), 43u);
    EXPECT_NE(session.csrf, secret);
    EXPECT_EQ(session.expires, start_seconds + 3600);

    std::optional<Session> found = ok(m_store->session(secret));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->user, "sam");
    EXPECT_EQ(found->csrf, session.csrf);
    EXPECT_EQ(found->expires, session.expires);

    m_clock.advance(3599s);
    EXPECT_TRUE(ok(m_store->session(secret)));
    m_clock.advance(1s);
    EXPECT_FALSE(ok(m_store->session(secret)));

    auto [second, second_session] = ok(m_store->create_session("sam", 1h));
    EXPECT_TRUE(ok(m_store->session(second)));
    ok(m_store->end_session(second));
    EXPECT_FALSE(ok(m_store->session(second)));
    ok(m_store->end_session(second));  // again: nothing to end, not an error
    ok(m_store->end_session("not a secret"));

    EXPECT_FALSE(ok(m_store->session("")));
    EXPECT_FALSE(ok(m_store->session(secret.substr(1))));
    EXPECT_FALSE(ok(m_store->session(session.csrf))) << "the CSRF token is not a session secret";
    EXPECT_EQ(kind_of(m_store->create_session("nobody", 1h)), ErrorKind::NotFound);
    EXPECT_EQ(kind_of(m_store->create_session("sam", 0s)), ErrorKind::InvalidInput);
    EXPECT_EQ(kind_of(m_store->create_session("sam", std::chrono::seconds::max())), ErrorKind::InvalidInput);
}

TEST_F(Accounts, EverythingSurvivesAReopen) {
    ok(m_store->add_user("sam", "correct horse", Role::Admin));
    auto [token, token_text] = ok(m_store->create_token("sam", "phone"));
    auto [secret, session] = ok(m_store->create_session("sam", 1h));
    m_store.reset();

    m_store = open_store();
    std::vector<UserRecord> users = ok(m_store->list_users());
    ASSERT_EQ(users.size(), 1u);
    EXPECT_TRUE(users[0].admin);
    EXPECT_TRUE(ok(m_store->verify_password("sam", "correct horse")));
    EXPECT_EQ(ok(m_store->user_for_token(token_text)), "sam");
    std::optional<Session> reopened = ok(m_store->session(secret));
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->csrf, session.csrf);
}

TEST_F(Accounts, TwoStoresOnOneHomeFromTwoThreadsLoseNoWrites) {
    std::unique_ptr<AccountStore> other = open_store();
    constexpr int per_thread = 15;
    std::atomic<int> failures{0};
    std::vector<std::string> texts[2];
    auto work = [&](AccountStore* store, int thread) {
        for (int i = 0; i < per_thread; ++i) {
            const std::string name = "t" + std::to_string(thread) + "-user" + std::to_string(i);
            if (store->add_user(name, "correct horse").is_error())
                ++failures;
            auto token = store->create_token(name, "label");
            if (token.is_error())
                ++failures;
            else
                texts[thread].push_back(token.value().second);
        }
    };
    std::thread a(work, m_store.get(), 0);
    std::thread b(work, other.get(), 1);
    a.join();
    b.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(ok(m_store->user_count()), size_t(2 * per_thread));
    EXPECT_EQ(ok(other->user_count()), size_t(2 * per_thread));
    for (int thread = 0; thread < 2; ++thread) {
        ASSERT_EQ(texts[thread].size(), size_t(per_thread));
        for (int i = 0; i < per_thread; ++i)
            EXPECT_EQ(ok(m_store->user_for_token(texts[thread][i])),
                      "t" + std::to_string(thread) + "-user" + std::to_string(i));
    }
}

TEST_F(Accounts, OneStoreServesManyThreadsAndHashesAtMostTwoAtOnce) {
    ok(m_store->add_user("sam", "correct horse"));
    auto [token, token_text] = ok(m_store->create_token("sam", "phone"));
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5; ++i) {
                auto verified = m_store->verify_password(t % 2 ? "sam" : "nobody", "correct horse");
                if (verified.is_error() || verified.value() != (t % 2 == 1))
                    ++wrong;
                auto user = m_store->user_for_token(token_text);
                if (user.is_error() || user.value() != std::optional<std::string>("sam"))
                    ++wrong;
            }
        });
    }
    for (std::thread& thread : threads)
        thread.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_LE(accounts::detail::peak_concurrent_password_work(), 2);
}
