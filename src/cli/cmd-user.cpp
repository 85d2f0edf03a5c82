// `os1 user`: the accounts that may sign in to a shared os1 (add, remove, list, passwd). Whoever
// can run os1 on this machine's data folder manages them; nothing here reads a user's
// conversations or memory, and an account's data folder is deleted only when asked.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/account-store-for.h"
#include "cli/commands.h"
#include "cli/password-input.h"
#include "cli/terminal-text.h"
#include "core/paths.h"
#include "core/user-names.h"

namespace os1::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

struct UserArgs {
    std::string name;
    bool admin = false;
    bool password_stdin = false;
    bool delete_data = false;
    bool json = false;
};

int fail(const char* action, const std::string& message, int code = 1) {
    std::fprintf(stderr, "os1 user %s: %s\n", action, terminal_text(message).c_str());
    return code;
}

int fail(const char* action, const Error& error) {
    if (error.kind == ErrorKind::NotFound)
        return fail(action, error.message + "; see os1 user list");
    return fail(action, error.message);
}

// The password for `name`, from stdin or typed on the terminal.
ErrorOr<std::string> new_password(const UserArgs& args) {
    if (args.password_stdin)
        return read_password_line();
    return prompt_new_password(args.name);
}

const char* needs_terminal =
    "stdin is not a terminal, so the password cannot be typed; pipe it in and add --password-stdin";

int run_add(const GlobalOptions& global, const UserArgs& args) {
    if (auto valid = check_user_name(args.name); valid.is_error())
        return fail("add", valid.error());
    if (!args.password_stdin && !stdin_is_terminal())
        return fail("add", needs_terminal, 2);
    auto store = account_store_for(global);
    if (store.is_error())
        return fail("add", store.error());
    // Before the password is typed, not after.
    auto existing = store.value()->find_user(args.name);
    if (existing.is_error())
        return fail("add", existing.error());
    if (existing.value())
        return fail("add", "a user named \"" + args.name +
                               "\" already exists; change its password with os1 user "
                               "passwd, or choose another name");
    auto password = new_password(args);
    if (password.is_error())
        return fail("add", password.error());
    auto added =
        store.value()->add_user(args.name, password.value(), args.admin ? accounts::Role::Admin : accounts::Role::User);
    if (added.is_error())
        return fail("add", added.error());

    std::fprintf(stderr, "os1 user add: added \"%s\"%s\n", args.name.c_str(), args.admin ? " as an admin" : "");
    // A folder left by an earlier account (or by `os1 chat --user`) becomes this account's.
    const fs::path data = user_dir(resolve_data_home(global.home), args.name).value();
    std::error_code ec;
    if (fs::exists(data, ec))
        std::fprintf(stderr, "os1 user add: the data already in %s is this account's from now on\n",
                     data.string().c_str());
    return 0;
}

int run_remove(const GlobalOptions& global, const UserArgs& args) {
    if (auto valid = check_user_name(args.name); valid.is_error())
        return fail("remove", valid.error());
    auto store = account_store_for(global);
    if (store.is_error())
        return fail("remove", store.error());
    auto removed = store.value()->remove_user(args.name);
    if (removed.is_error())
        return fail("remove", removed.error());
    if (!removed.value())
        return fail("remove", "there is no user named \"" + args.name + "\"; see os1 user list");

    const fs::path data = user_dir(resolve_data_home(global.home), args.name).value();
    std::error_code ec;
    const bool has_data = fs::exists(data, ec);
    if (args.delete_data && has_data) {
        fs::remove_all(data, ec);
        if (ec)
            return fail("remove", "removed \"" + args.name + "\" and its tokens and sessions, but could not delete " +
                                      data.string() + ": " + ec.message() + "; delete that folder by hand");
        std::fprintf(stderr, "os1 user remove: removed \"%s\", its tokens and sessions, and deleted its data in %s\n",
                     args.name.c_str(), data.string().c_str());
        return 0;
    }
    std::fprintf(stderr, "os1 user remove: removed \"%s\" and its tokens and sessions\n", args.name.c_str());
    if (has_data)
        std::fprintf(stderr,
                     "os1 user remove: its data was kept in %s; delete that folder to erase it (a new account "
                     "named \"%s\" would own it)\n",
                     data.string().c_str(), args.name.c_str());
    return 0;
}

int run_list(const GlobalOptions& global, const UserArgs& args) {
    auto store = account_store_for(global);
    if (store.is_error())
        return fail("list", store.error());
    auto users = store.value()->list_users();
    if (users.is_error())
        return fail("list", users.error());
    if (args.json) {
        ordered_json list = ordered_json::array();
        for (const accounts::UserRecord& user : users.value())
            list.push_back({{"name", user.name},
                            {"role", user.admin ? "admin" : "user"},
                            {"created", account_time_text(user.created)}});
        std::printf("%s\n", ordered_json({{"users", std::move(list)}}).dump().c_str());
        return 0;
    }
    if (users.value().empty())
        std::printf("no users yet; add one with: os1 user add NAME\n");
    for (const accounts::UserRecord& user : users.value())
        std::printf("%s  %s  created %s\n", user.name.c_str(), user.admin ? "admin" : "user",
                    account_time_text(user.created).c_str());
    return 0;
}

int run_passwd(const GlobalOptions& global, const UserArgs& args) {
    if (auto valid = check_user_name(args.name); valid.is_error())
        return fail("passwd", valid.error());
    if (!args.password_stdin && !stdin_is_terminal())
        return fail("passwd", needs_terminal, 2);
    auto store = account_store_for(global);
    if (store.is_error())
        return fail("passwd", store.error());
    auto existing = store.value()->find_user(args.name);
    if (existing.is_error())
        return fail("passwd", existing.error());
    if (!existing.value())
        return fail("passwd", "there is no user named \"" + args.name + "\"; see os1 user list");
    auto password = new_password(args);
    if (password.is_error())
        return fail("passwd", password.error());
    if (auto changed = store.value()->set_password(args.name, password.value()); changed.is_error())
        return fail("passwd", changed.error());
    std::fprintf(stderr,
                 "os1 user passwd: changed the password of \"%s\" and ended its sessions (its API tokens still "
                 "work; revoke them with os1 token revoke)\n",
                 args.name.c_str());
    return 0;
}

}  // namespace

void register_user(CLI::App& app, GlobalOptions& global, int& exit_code) {
    CLI::App* cmd = app.add_subcommand("user", "The accounts that may sign in to a shared os1 (os1 serve)");
    cmd->require_subcommand(1);
    cmd->footer(
        "Accounts live in <home>/accounts.sqlite, readable by its owner only; passwords are stored as argon2id "
        "hashes. An account's conversations and memory are in <home>/users/NAME, which these commands never read.");
    auto args = std::make_shared<UserArgs>();
    auto password_flag = [&](CLI::App* sub) {
        sub->add_flag("--password-stdin", args->password_stdin,
                      "Read the password from the first line of stdin (without its newline) instead of asking "
                      "twice on the terminal");
    };

    CLI::App* add = cmd->add_subcommand("add", "Add an account; asks for its password twice, without echo");
    add->add_option("name", args->name, "The user name: 1-64 bytes of letters, digits, spaces, '.', '_', '-', '@'")
        ->required();
    add->add_flag("--admin", args->admin, "Let this account add and remove accounts (never read their data)");
    password_flag(add);
    add->footer(
        "Passwords are 8-1024 bytes of UTF-8. Without --password-stdin, stdin must be a terminal.\n"
        "Example: printf '%s\\n' \"$PASSWORD\" | os1 user add sam --password-stdin");
    add->callback([&global, &exit_code, args] { exit_code = run_add(global, *args); });

    CLI::App* remove =
        cmd->add_subcommand("remove",
                            "Remove an account with its API tokens and sessions; its data is kept unless "
                            "--delete-data");
    remove->add_option("name", args->name, "The user name")->required();
    remove->add_flag("--delete-data", args->delete_data,
                     "Also delete the account's data folder <home>/users/NAME (conversations, memory, backups)");
    remove->callback([&global, &exit_code, args] { exit_code = run_remove(global, *args); });

    CLI::App* list = cmd->add_subcommand("list", "List the accounts with their roles");
    list->add_flag("--json", args->json, "Print {\"users\": [{\"name\", \"role\", \"created\"}]}");
    list->callback([&global, &exit_code, args] { exit_code = run_list(global, *args); });

    CLI::App* passwd =
        cmd->add_subcommand("passwd", "Change an account's password; ends its browser sessions (tokens stay)");
    passwd->add_option("name", args->name, "The user name")->required();
    password_flag(passwd);
    passwd->callback([&global, &exit_code, args] { exit_code = run_passwd(global, *args); });
}

}  // namespace os1::cli
