// `os1 memory core`: the user reads and edits the two core memory blocks, "persona" (what the
// companion knows about itself) and "human" (what it knows about the user), which are shown in
// every prompt. The same size limit holds as for the companion's own edits.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/json-error.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"
#include "cli/user-dir.h"
#include "memory/memory.h"

namespace os1::cli {

namespace {

using nlohmann::ordered_json;
namespace mem = os1::memory;

struct CoreArgs {
    std::string user = "default";
    std::string block;
    std::string text;
    std::string old_text;
    std::string new_text;
    bool json = false;
};

enum class CoreAction { Show, Append, Replace, Set };

const char* action_name(CoreAction action) {
    switch (action) {
        case CoreAction::Show:
            return "show";
        case CoreAction::Append:
            return "append";
        case CoreAction::Replace:
            return "replace";
        case CoreAction::Set:
            return "set";
    }
    return "show";
}

// Prints the error (also as JSON with --json) and returns the exit status: 1, or 2 for a usage
// error.
int fail(CoreAction action, const CoreArgs& args, const std::string& message, int status = 1) {
    std::fprintf(stderr, "os1 memory core %s: %s\n", action_name(action), terminal_text(message).c_str());
    if (args.json)
        print_json_error(message);
    return status;
}

int run_core(const GlobalOptions& global, const CoreArgs& args, CoreAction action) {
    if (action != CoreAction::Show && args.block.empty())
        return fail(action, args, "--block is required (persona or human)", 2);
    if (!args.block.empty() && args.block != "persona" && args.block != "human")
        return fail(action, args, "--block must be persona or human, not \"" + args.block + "\"", 2);
    auto user_dir = user_dir_for(global, args.user);
    if (user_dir.is_error())
        return fail(action, args, user_dir.error().message);
    auto store = mem::MemoryStore::open(user_dir.value(), terminal_environment());
    if (store.is_error())
        return fail(action, args, store.error().message);

    ErrorOr<void> changed;
    if (action == CoreAction::Append)
        changed = store->core_append(args.block, args.text);
    else if (action == CoreAction::Replace)
        changed = store->core_replace(args.block, args.old_text, args.new_text);
    else if (action == CoreAction::Set)
        changed = store->core_set(args.block, args.text);
    if (changed.is_error())
        return fail(action, args, changed.error().message + "; the block was not changed");

    ordered_json blocks = ordered_json::object();
    for (const char* name : {"persona", "human"}) {
        if (!args.block.empty() && args.block != name)
            continue;
        auto text = store->core_block(name);
        if (text.is_error())
            return fail(action, args, text.error().message);
        blocks[name] = text.value();
    }
    if (args.json) {
        std::printf("%s\n", ordered_json({{"blocks", blocks}, {"limit", mem::core_block_limit}}).dump().c_str());
        return 0;
    }
    for (const auto& [name, text] : blocks.items()) {
        const std::string value = text.get<std::string>();
        std::printf("[%s] %zu of %zu bytes\n%s\n", name.c_str(), value.size(), mem::core_block_limit,
                    value.empty() ? "(empty)" : terminal_text(value, Newlines::Keep).c_str());
    }
    return 0;
}

}  // namespace

void register_memory_core(CLI::App* memory, GlobalOptions& global, int& exit_code) {
    CLI::App* core = memory->add_subcommand(
        "core", "The core memory blocks shown in every prompt: persona (the companion) and human (you)");
    core->require_subcommand(1);
    auto args = std::make_shared<CoreArgs>();
    auto common = [&](CLI::App* sub, bool block_required) {
        sub->add_option("--user", args->user, "Whose memory (default: default)");
        auto* block = sub->add_option("--block", args->block, "persona or human");
        if (block_required)
            block->required();
        sub->add_flag("--json", args->json, "Print {\"blocks\": {...}, \"limit\": bytes}");
    };
    auto add = [&](const char* name, const char* help, CoreAction action) {
        CLI::App* sub = core->add_subcommand(name, help);
        common(sub, action != CoreAction::Show);
        sub->callback([&global, &exit_code, args, action] { exit_code = run_core(global, *args, action); });
        return sub;
    };
    add("show", "Print the blocks (or one with --block)", CoreAction::Show);
    add("append", "Add a line to a block", CoreAction::Append)
        ->add_option("text", args->text, "The text to add")
        ->required();
    CLI::App* replace = add("replace", "Replace the first occurrence of --old with --new", CoreAction::Replace);
    replace->add_option("--old", args->old_text, "Text that occurs in the block")->required();
    replace->add_option("--new", args->new_text, "Its replacement (may be empty)")->required();
    add("set", "Replace a whole block (an empty TEXT clears it)", CoreAction::Set)
        ->add_option("text", args->text, "The block's new text")
        ->required();
}

}  // namespace os1::cli
