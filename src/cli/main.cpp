// The os1 command: a thin dispatcher over the subcommands in this folder.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "cli/json-error.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"

namespace {

using os1::cli::print_json_error;
using os1::cli::terminal_text;

// "os1 memory show": the command a usage error belongs to, as far as the parse got.
std::string command_path(const CLI::App& app) {
    std::string path = "os1";
    for (const CLI::App* command = &app; !command->get_subcommands().empty();) {
        command = command->get_subcommands().front();
        path += " " + command->get_name();
    }
    return path;
}

// Whether the command line asks for JSON. The parse may have failed before it reached the flag,
// so the words are read as they are (up to "--", after which they are arguments).
bool wants_json(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (word == "--")
            return false;
        if (word == "--json")
            return true;
    }
    return false;
}

// A usage error exits with 2 and says what was wrong and where the options are described; with
// --json it is also the error object on stdout that every command prints for its errors.
int usage_error(const CLI::App& app, const CLI::ParseError& error, bool json) {
    const std::string command = command_path(app);
    std::fprintf(stderr, "%s: %s\nRun %s --help for its options.\n", command.c_str(),
                 terminal_text(error.what()).c_str(), command.c_str());
    if (json)
        print_json_error(error.what());
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace os1::cli;
    // When ggml aborts, it runs gdb for a backtrace whose output lands on stdout, in the middle
    // of any --json a script is reading. OS1_GGML_BACKTRACE=1 keeps it for debugging.
    if (!std::getenv("OS1_GGML_BACKTRACE"))
        setenv("GGML_NO_BACKTRACE", "1", 1);
    CLI::App app{"os1: a local AI companion that you can talk to, that remembers you, and that runs privately on "
                 "your own machine"};
    app.set_version_flag("--version", "os1 0.1.0");
    app.require_subcommand(1);
    app.fallthrough();

    GlobalOptions global;
    app.add_option("--home", global.home, "Data folder (default: $OS1_HOME, else $XDG_DATA_HOME/os1)")
        ->check([](const std::string& home) {
            // Empty would silently mean the default folder, the real data, not the one meant.
            return home.empty() ? std::string("--home is empty; name a folder, or leave --home out") : std::string();
        });
    app.add_flag("-v,--verbose", global.verbose, "Show llama.cpp's own log output");

    int exit_code = 0;
    register_chat(app, global, exit_code);
    register_pull(app, global, exit_code);
    register_models(app, global, exit_code);
    register_dev(app, global, exit_code);
    register_affect(app, global, exit_code);
    register_memory(app, global, exit_code);
    register_persona(app, global, exit_code);
    register_mood(app, global, exit_code);
    register_relationship(app, global, exit_code);
    register_journal(app, global, exit_code);
    register_bench(app, global, exit_code);
    register_user(app, global, exit_code);
    register_token(app, global, exit_code);
    register_serve(app, global, exit_code);
    register_talk(app, global, exit_code);
    register_transcribe(app, global, exit_code);

    // Every command reads its clock from OS1_NOW when it is set: a bad value is refused here,
    // before any command runs.
    if (auto now = clock_override(); now.is_error()) {
        std::fprintf(stderr, "os1: %s\n", terminal_text(now.error().message).c_str());
        return 2;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version end the parse with an "error" that succeeds.
        if (e.get_exit_code() == 0)
            return app.exit(e);
        // A usage error (a bad option or value) exits with 2, as a bad OS1_NOW does.
        return usage_error(app, e, wants_json(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "os1: %s\n", terminal_text(e.what()).c_str());
        return 1;
    }
    return exit_code;
}
