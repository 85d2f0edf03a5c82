// `os1 persona`: the companion's character card. `import` reads a Character Card V1/V2 (JSON or
// PNG) into the user's store, `export` writes the active card as V2 JSON or PNG, and `show`
// prints it together with the name the companion chose for itself.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/file-read.h"
#include "cli/commands.h"
#include "cli/output-file.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"
#include "cli/user-dir.h"
#include "core/paths.h"
#include "persona/persona.h"

namespace os1::cli {

namespace {

namespace fs = std::filesystem;

struct PersonaArgs {
    std::string user = "default";
    std::string file;
    std::string image;
    bool png = false;
    bool json = false;
};

int fail(const char* command, const std::string& message) {
    std::fprintf(stderr, "os1 persona %s: %s\n", command, terminal_text(message).c_str());
    return 1;
}

enum class NewUser { create, refuse };

// `import` may set up a new user; `show` and `export` only read, so for them a user who never
// talked to os1 is an error rather than a silently created empty one.
ErrorOr<persona::PersonaStore> open_store(const GlobalOptions& global, const std::string& user,
                                          NewUser new_user = NewUser::refuse) {
    const fs::path user_dir = OS1_TRY(user_dir_for(global, user));
    const fs::path users = user_dir.parent_path();
    std::error_code error;
    if (new_user == NewUser::refuse && !fs::exists(user_dir / "os1.db", error))
        return make_error("no user \"" + user + "\" in " + users.string() + "; start with `os1 chat --user " + user +
                          "` or `os1 persona import FILE --user " + user + "` (or check --user and --home)");
    OS1_TRY(ensure_writable_dir(user_dir));
    return persona::PersonaStore::open(user_dir, terminal_environment());
}

// An image for an exported card: a PNG no larger than a card may be.
ErrorOr<std::string> read_file(const std::string& path) {
    return read_file_limited(path, persona::max_card_file_bytes, "the image");
}

int run_import(const PersonaArgs& args, const GlobalOptions& global) {
    auto card = persona::load_card_file(args.file);
    if (card.is_error())
        return fail("import", card.error().message + "; nothing was imported");
    auto store = open_store(global, args.user, NewUser::create);
    if (store.is_error())
        return fail("import", store.error().message);
    if (auto saved = store->save_card(card.value(), terminal_environment().now_seconds()); saved.is_error())
        return fail("import", saved.error().message);
    const std::size_t entries = card->character_book ? card->character_book->entries.size() : 0;
    std::printf("imported %s for user %s (%zu lorebook entries)\n", terminal_text(card->name).c_str(), args.user.c_str(),
                entries);
    return 0;
}

int run_export(const PersonaArgs& args, const GlobalOptions& global) {
    auto store = open_store(global, args.user);
    if (store.is_error())
        return fail("export", store.error().message);
    auto card = store->card();
    if (card.is_error())
        return fail("export", card.error().message);
    std::string bytes;
    const bool png = args.png || !args.image.empty();
    if (png) {
        std::string image;
        if (!args.image.empty()) {
            auto read = read_file(args.image);
            if (read.is_error())
                return fail("export", read.error().message);
            image = read.release_value();
        }
        auto encoded = persona::card_to_png(card.value(), image);
        if (encoded.is_error())
            return fail("export", encoded.error().message);
        bytes = encoded.release_value();
    } else {
        bytes = persona::card_to_json(card.value(), 2) + "\n";
    }
    if (auto written = write_output_file(args.file, bytes, png ? OutputKind::binary : OutputKind::text);
        written.is_error())
        return fail("export", written.error().message);
    if (args.file != "-")  // standard output holds the card alone
        std::printf("exported %s to %s\n", terminal_text(card->name).c_str(), terminal_text(args.file).c_str());
    return 0;
}

int run_show(const PersonaArgs& args, const GlobalOptions& global) {
    auto store = open_store(global, args.user);
    if (store.is_error())
        return fail("show", store.error().message);
    auto card = store->card();
    if (card.is_error())
        return fail("show", card.error().message);
    auto custom = store->has_custom_card();
    auto onboarding = store->onboarding();
    if (custom.is_error())
        return fail("show", custom.error().message);
    if (onboarding.is_error())
        return fail("show", onboarding.error().message);
    const auto& chosen = onboarding.value() ? onboarding.value()->name() : std::optional<persona::CompanionName>();

    if (args.json) {
        nlohmann::json out = {
            {"user", args.user},
            {"builtin", !custom.value()},
            {"card", nlohmann::json::parse(persona::card_to_json(card.value()))},
            {"chosen_name",
             chosen ? nlohmann::json{{"name", chosen->name}, {"reason", chosen->reason}} : nlohmann::json()},
        };
        std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return 0;
    }
    // Every field comes from a card, which anyone may have written: none reaches the terminal raw.
    std::printf("%s%s\n", terminal_text(card->name).c_str(), custom.value() ? "" : " (built-in persona)");
    if (chosen)
        std::printf("calls itself %s: %s\n", terminal_text(chosen->name).c_str(),
                    terminal_text(chosen->reason, Newlines::Keep).c_str());
    if (!card->personality.empty())
        std::printf("personality: %s\n", terminal_text(card->personality, Newlines::Keep).c_str());
    if (!card->description.empty())
        std::printf("description: %s\n", terminal_text(card->description, Newlines::Keep).c_str());
    if (!card->scenario.empty())
        std::printf("scenario: %s\n", terminal_text(card->scenario, Newlines::Keep).c_str());
    if (card->character_book)
        std::printf("lorebook: %zu entries\n", card->character_book->entries.size());
    if (!card->creator.empty() || !card->character_version.empty())
        std::printf("by %s, version %s\n", card->creator.empty() ? "unknown" : terminal_text(card->creator).c_str(),
                    card->character_version.empty() ? "-" : terminal_text(card->character_version).c_str());
    return 0;
}

}  // namespace

void register_persona(CLI::App& app, GlobalOptions& global, int& exit_code) {
    CLI::App* persona = app.add_subcommand("persona", "The companion's character card (Character Card V2)");
    persona->require_subcommand(1);
    auto args = std::make_shared<PersonaArgs>();

    CLI::App* import = persona->add_subcommand(
        "import", "Use a character card: Character Card V2 or V1 as JSON, or a PNG with a \"chara\" chunk");
    import->add_option("file", args->file, "The card file (.json or .png)")->required();
    import->add_option("--user", args->user, "Whose persona (each user has their own)")->default_val("default");
    import->callback([args, &global, &exit_code] { exit_code = run_import(*args, global);
});

CLI::App* exported = persona->add_subcommand("export", "Write the active card as Character Card V2");
exported->add_option("file", args->file, "Where to write it (- for standard output)")->required();
exported->add_flag("--png", args->png, "Write a PNG card (a 1x1 image unless --image is given)");
exported->add_option("--image", args->image, "Embed the card in this PNG image (implies --png)");
exported->add_option("--user", args->user, "Whose persona (each user has their own)")->default_val("default");
exported->callback([args, &global, &exit_code] { exit_code = run_export(*args, global); });

CLI::App* show = persona->add_subcommand("show", "Print the active card and the companion's chosen name");
show->add_flag("--json", args->json, "Print JSON: the V2 card and the chosen name");
show->add_option("--user", args->user, "Whose persona (each user has their own)")->default_val("default");
show->callback([args, &global, &exit_code] { exit_code = run_show(*args, global); });
}  // namespace os1::cli

}  // namespace os1::cli
