// The os1 command: a thin dispatcher over the subcommands in this folder.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "cli/commands.h"
#include "cli/terminal-environment.h"

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

    // Every command reads its clock from OS1_NOW when it is set: a bad value is refused here,
    // before any command runs.
    if (auto now = clock_override(); now.is_error()) {
        std::fprintf(stderr, "os1: %s\n", now.error().message.c_str());
        return 2;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // A usage error (a bad option or value) exits with 2, as a bad OS1_NOW does; --help with 0.
        return app.exit(e) == 0 ? 0 : 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "os1: %s\n", e.what());
        return 1;
    }
    return exit_code;
}
