// Several os1 processes on one user at once, the real binary: chats (against a fake
// OpenAI-compatible server), imports large enough to commit in batches, searches, forgets and
// backups, some killed with SIGKILL at random moments. Afterwards the database passes the full
// integrity check, every command that was not killed succeeded, every acknowledged write is
// there, every forgotten memory is gone, and every import is whole or absent.
//
// The seed is printed; OS1_STRESS_SEED=N runs the same schedule again.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include "core/backup.h"
#include "core/database.h"
#include "support/fake-openai-server.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

namespace fs = std::filesystem;
using namespace os1;
using namespace os1::test;

namespace {

constexpr int k_waves = 15;
constexpr int k_processes_per_wave = 4;
constexpr int k_turns_per_import = 2500;  // more than one transaction's worth
constexpr int k_forgettable = 12;

const EnvironmentVariables child_env = {{"OS1_NOW", "2026-05-03T12:00:00Z"}, {"TZ", "UTC"}};

enum class Job { Chat, Import, Search, Forget, Backup };

const char* job_name(Job job) {
    switch (job) {
        case Job::Chat:
            return "chat";
        case Job::Import:
            return "import";
        case Job::Search:
            return "search";
        case Job::Forget:
            return "forget";
        case Job::Backup:
            return "backup";
    }
    return "?";
}

struct Launched {
    Job job;
    int index = 0;           // chat number, import number or forgotten memory id
    bool kill = false;
    std::chrono::milliseconds kill_after{0};
    std::unique_ptr<Subprocess> process;
};

fs::path write_import(const fs::path& dir, int number, int turns, const std::string& prefix) {
    const fs::path file = dir / (prefix + std::to_string(number) + ".jsonl");
    std::ofstream out(file);
    for (int i = 0; i < turns; ++i)
        out << R"({"id":")" << prefix << number << "-" << i << R"(","conversation":"c)" << number
            << R"(","role":")" << (i % 2 ? "assistant" : "user") << R"(","time":"2026-04-)"
            << (10 + i % 18) << R"(T10:00:00Z","text":"turn )" << i << " of import " << number
            << R"( about the garden and the weather"})" << "\n";
    return file;
}

int64_t count_of(Database& db, const std::string& sql) {
    auto query = db.prepare(sql);
    EXPECT_TRUE(query) << query.error().message;
    if (!query)
        return -1;
    auto row = query->step();
    if (!row || !row.value())
        return -1;
    return query->column_int(0);
}

std::string quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

}  // namespace

TEST(StorageStress, ProcessesSharingAUserLoseNoAcknowledgedWrite) {
    uint64_t seed = 20261202;
    if (const char* chosen = std::getenv("OS1_STRESS_SEED"))
        seed = std::strtoull(chosen, nullptr, 10);
    std::printf("storage stress seed: %llu (rerun with OS1_STRESS_SEED=%llu)\n", (unsigned long long)seed,
                (unsigned long long)seed);
    RecordProperty("seed", std::to_string(seed));
    std::mt19937_64 random(seed);

    const fs::path dir = unique_temp_dir("storage-stress");
    const fs::path home = dir / "home";
    const fs::path db_file = home / "users" / "default" / "os1.db";
    EndlessChat replies(EndlessChat::Headers::Sent, 0);  // every reply is a short, complete "ok"
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        replies.install(s);
    }, [&] { replies.stop(); });
    auto os1 = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {OS1_BINARY, "--home", home.string()});
        return args;
    };

    // Memories that the forget jobs remove.
    const fs::path forgettable = write_import(dir, 0, k_forgettable, "f");
    const ProcessResult setup = run_process(os1({"memory", "import", forgettable.string()}), {}, child_env);
    ASSERT_EQ(setup.exit_code, 0) << setup.err;
    std::vector<int64_t> forgettable_ids;
    {
        auto db = Database::open(db_file);
        ASSERT_TRUE(db) << db.error().message;
        auto ids = db->prepare("SELECT id FROM memories WHERE source_id LIKE 'import:f0-%' ORDER BY id");
        ASSERT_TRUE(ids);
        while (ids->step().value())
            forgettable_ids.push_back(ids->column_int(0));
    }
    ASSERT_EQ(forgettable_ids.size(), size_t(k_forgettable));

    std::vector<int> acknowledged_chats, acknowledged_imports, attempted_imports;
    std::vector<int64_t> acknowledged_forgets;
    int chats = 0, imports = 0;
    size_t next_forgettable = 0;
    for (int wave = 0; wave < k_waves; ++wave) {
        std::vector<Launched> launched;
        for (int p = 0; p < k_processes_per_wave; ++p) {
            Launched l;
            l.job = Job(random() % 5);
            if (l.job == Job::Forget && next_forgettable == forgettable_ids.size())
                l.job = Job::Search;
            l.kill = random() % 10 < 3;
            l.kill_after = std::chrono::milliseconds(random() % 400);
            std::vector<std::string> args;
            switch (l.job) {
                case Job::Chat:
                    l.index = ++chats;
                    args = os1({"chat", "--backend", "openai", "--base-url", server.base_url(), "--no-learning",
                                "--once", "stress note " + std::to_string(l.index)});
                    break;
                case Job::Import:
                    l.index = ++imports;
                    attempted_imports.push_back(l.index);
                    args = os1({"memory", "import", write_import(dir, l.index, k_turns_per_import, "i").string()});
                    break;
                case Job::Search:
                    args = os1({"memory", "search", "garden weather", "--json"});
                    break;
                case Job::Forget:
                    l.index = int(forgettable_ids[next_forgettable++]);
                    args = os1({"memory", "forget", std::to_string(l.index)});
                    break;
                case Job::Backup:
                    args = os1({"memory", "backup"});
                    break;
            }
            l.process = std::make_unique<Subprocess>(args, std::string(), child_env);
            launched.push_back(std::move(l));
        }
        std::vector<std::thread> killers;
        for (Launched& l : launched)
            if (l.kill)
                killers.emplace_back([&l] {
                    std::this_thread::sleep_for(l.kill_after);  // a random moment, not a synchronisation
                    l.process->signal(SIGKILL);
                });
        for (std::thread& killer : killers)
            killer.join();
        std::string wave_jobs = "wave " + std::to_string(wave) + ":";
        for (const Launched& l : launched)
            wave_jobs += " " + std::string(job_name(l.job)) + (l.kill ? "(killed)" : "");
        for (Launched& l : launched) {
            const ProcessResult result = l.process->finish();
            if (result.exit_code == 128 + SIGKILL)
                continue;  // killed: no promise was made
            ASSERT_EQ(result.exit_code, 0) << job_name(l.job) << " failed in " << wave_jobs << ": " << result.err;
            if (l.job == Job::Chat)
                acknowledged_chats.push_back(l.index);
            if (l.job == Job::Import && result.out.find("imported ") != std::string::npos)
                acknowledged_imports.push_back(l.index);
            if (l.job == Job::Forget)
                acknowledged_forgets.push_back(l.index);
        }
    }

    // The full check, as a user would run it.
    const ProcessResult check = run_process(os1({"memory", "check", "--json"}), {}, child_env);
    ASSERT_EQ(check.exit_code, 0) << check.err;
    EXPECT_NE(check.out.find("\"ok\":true"), std::string::npos) << check.out;

    // This open also removes what killed imports left half done.
    const ProcessResult list = run_process(os1({"memory", "list"}), {}, child_env);
    ASSERT_EQ(list.exit_code, 0) << list.err;
    auto db = Database::open(db_file);
    ASSERT_TRUE(db) << db.error().message;
    for (int chat : acknowledged_chats)
        EXPECT_EQ(count_of(*db, "SELECT count(*) FROM turns WHERE role = 'user' AND content = " +
                                    quoted("stress note " + std::to_string(chat))),
                  1)
            << "chat " << chat << " exited 0 but its turn is not stored";
    for (int import : attempted_imports) {
        const int64_t stored =
            count_of(*db, "SELECT count(*) FROM memories WHERE source_id LIKE " + quoted("import:i" + std::to_string(import) + "-%"));
        const bool acknowledged =
            std::find(acknowledged_imports.begin(), acknowledged_imports.end(), import) != acknowledged_imports.end();
        if (acknowledged)
            EXPECT_EQ(stored, k_turns_per_import) << "import " << import << " was acknowledged";
        else
            EXPECT_TRUE(stored == 0 || stored == k_turns_per_import)
                << "import " << import << " was killed and left " << stored << " turns: neither all nor nothing";
    }
    for (int64_t id : acknowledged_forgets)
        EXPECT_EQ(count_of(*db, "SELECT count(*) FROM memories WHERE id = " + std::to_string(id)), 0)
            << "memory " << id << " was forgotten";
    EXPECT_EQ(count_of(*db, "SELECT count(*) FROM import_runs"), 0);
    for (const BackupFile& backup : list_backups(db_file))
        EXPECT_TRUE(check_database_file(backup.path)) << backup.path;
    std::printf("storage stress: %zu chats, %zu of %zu imports and %zu forgets acknowledged\n",
                acknowledged_chats.size(), acknowledged_imports.size(), attempted_imports.size(),
                acknowledged_forgets.size());
}
