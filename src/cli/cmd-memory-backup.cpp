// `os1 memory backup`, `os1 memory restore` and `os1 memory check`: a backup of the user's
// database on demand (os1 also takes one a day by itself when the database opens healthy), the
// way back after the database was damaged (the damaged file is moved aside, never deleted), and
// the full integrity check that opening leaves out (it runs a quick check once a day).
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/json-error.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"
#include "cli/user-dir.h"
#include "core/backup.h"
#include "core/database.h"

namespace os1::cli {

namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

struct BackupArgs {
    std::string user = "default";
    std::string from;
    bool list = false;
    bool force = false;
    bool json = false;
};

int fail(const char* command, const BackupArgs& args, const std::string& message) {
    std::fprintf(stderr, "os1 memory %s: %s\n", command, terminal_text(message).c_str());
    if (args.json)
        print_json_error(message);
    return 1;
}

ordered_json backups_json(const fs::path& db_file) {
    ordered_json list = ordered_json::array();
    for (const BackupFile& backup : list_backups(db_file))
        list.push_back({{"path", backup.path.string()}, {"day", backup.day}});
    return list;
}

int run_backup(const GlobalOptions& global, const BackupArgs& args) {
    auto user_dir = user_dir_for(global, args.user);
    if (user_dir.is_error())
        return fail("backup", args, user_dir.error().message);
    const fs::path db_file = user_dir.value() / "os1.db";
    if (args.list) {
        if (args.json) {
            std::printf("%s\n", ordered_json({{"backups", backups_json(db_file)}}).dump().c_str());
            return 0;
        }
        auto backups = list_backups(db_file);
        if (backups.empty())
            std::printf("no backups in %s\n", backup_dir(db_file).c_str());
        for (const BackupFile& backup : backups)
            std::printf("%s  %s\n", backup.day.c_str(), backup.path.c_str());
        return 0;
    }
    std::error_code ec;
    if (!fs::exists(db_file, ec))
        return fail("backup", args, db_file.string() + ": no database yet; nothing to back up");
    const Environment env = terminal_environment();
    // The process's first open of the file checks its integrity: a damaged file is never backed up.
    auto db = Database::open(db_file, env);
    if (db.is_error())
        return fail("backup", args, db.error().message);
    auto written = write_backup(db->handle(), db_file, env.now_seconds());
    if (written.is_error())
        return fail("backup", args, written.error().message);
    if (args.json)
        std::printf("%s\n",
                    ordered_json({{"backup", written->string()}, {"backups", backups_json(db_file)}}).dump().c_str());
    else
        std::printf("backed up %s to %s (the newest %zu backups are kept)\n", db_file.c_str(), written->c_str(),
                    backups_kept);
    return 0;
}

int run_restore(const GlobalOptions& global, const BackupArgs& args) {
    auto user_dir = user_dir_for(global, args.user);
    if (user_dir.is_error())
        return fail("restore", args, user_dir.error().message);
    const fs::path db_file = user_dir.value() / "os1.db";
    fs::path from = args.from;
    if (from.empty()) {
        auto backups = list_backups(db_file);
        if (backups.empty())
            return fail("restore", args,
                        "no backup in " + backup_dir(db_file).string() + "; name one with --from FILE");
        from = backups.front().path;
    }
    auto restored = restore_backup(db_file, from, terminal_environment().now_seconds(),
                                   args.force ? RestoreHealthy::Replace : RestoreHealthy::Refuse);
    if (restored.is_error())
        return fail("restore", args, restored.error().message);
    const std::string aside = restored->moved_aside ? restored->moved_aside->string() : "";
    if (args.json) {
        std::printf("%s\n", ordered_json({{"restored", db_file.string()},
                                          {"from", from.string()},
                                          {"moved_aside", aside.empty() ? ordered_json(nullptr) : ordered_json(aside)}})
                                .dump()
                                .c_str());
        return 0;
    }
    std::printf("restored %s from %s\n", db_file.c_str(), from.c_str());
    if (!aside.empty())
        std::printf("the damaged file is kept as %s\n", aside.c_str());
    return 0;
}

int run_check(const GlobalOptions& global, const BackupArgs& args) {
    auto user_dir = user_dir_for(global, args.user);
    if (user_dir.is_error())
        return fail("check", args, user_dir.error().message);
    const fs::path db_file = user_dir.value() / "os1.db";
    std::error_code ec;
    if (!fs::exists(db_file, ec))
        return fail("check", args, db_file.string() + ": there is no database to check for this user");
    if (auto checked = check_database_file(db_file); checked.is_error()) {
        const std::string advice =
            checked.error().kind == ErrorKind::Corrupt ? "; " + restore_advice(db_file) : std::string();
        return fail("check", args, checked.error().message + advice);
    }
    if (args.json)
        std::printf("%s\n", ordered_json({{"checked", db_file.string()}, {"ok", true}}).dump().c_str());
    else
        std::printf("%s passes the full integrity check\n", db_file.c_str());
    return 0;
}

}  // namespace

void register_memory_backup(CLI::App* memory, GlobalOptions& global, int& exit_code) {
    auto args = std::make_shared<BackupArgs>();
    CLI::App* backup = memory->add_subcommand(
        "backup", "Back up the user's database now (os1 also keeps one a day by itself, the newest 7)");
    backup->add_option("--user", args->user, "Whose database (default: default)");
    backup->add_flag("--list", args->list, "List the backups instead, newest first");
    backup->add_flag("--json", args->json, "Print JSON");
    backup->callback([&global, &exit_code, args] { exit_code = run_backup(global, *args); });

    CLI::App* restore =
        memory->add_subcommand("restore",
                               "Put a backup back after the database was damaged; the damaged file is renamed to "
                               "os1.db.damaged-DATE, never deleted. Stop every os1 process of the user first");
    restore->add_option("--user", args->user, "Whose database (default: default)");
    restore->add_option("--from", args->from, "The backup file (default: the newest)");
    restore->add_flag("--force", args->force, "Restore even when the current database is healthy");
    restore->add_flag("--json", args->json, "Print JSON");
    restore->callback([&global, &exit_code, args] { exit_code = run_restore(global, *args); });

    CLI::App* check = memory->add_subcommand(
        "check", "Run SQLite's full integrity check on the user's database (opening runs a quick check once a day)");
    check->add_option("--user", args->user, "Whose database (default: default)");
    check->add_flag("--json", args->json, "Print JSON");
    check->callback([&global, &exit_code, args] { exit_code = run_check(global, *args); });
}

}  // namespace os1::cli
