// Subcommands of `os1`. Each register_* function adds one subcommand to `app`; when it runs,
// its callback stores the process exit code in `exit_code` (0 success, 1 failure, 2 usage).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace os1::cli {

struct GlobalOptions {
    std::string home;  // --home DIR; empty: $OS1_HOME or the XDG data folder
    bool verbose = false;
};

void register_chat(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_pull(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_models(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_dev(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_affect(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_persona(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_mood(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_relationship(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_journal(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_memory(CLI::App& app, GlobalOptions& global, int& exit_code);
// Add `os1 memory core ...` and `os1 memory backup|restore` under the memory command.
void register_memory_core(CLI::App* memory, GlobalOptions& global, int& exit_code);
void register_memory_backup(CLI::App* memory, GlobalOptions& global, int& exit_code);
// Adds `os1 bench engine` under the bench command.
void register_engine_bench(CLI::App* bench, int& exit_code);
// Adds `os1 bench memory` under the bench command.
void register_memory_bench(CLI::App* bench, GlobalOptions& global, int& exit_code);
// Adds `os1 bench serve` under the bench command.
void register_serve_bench(CLI::App* bench, GlobalOptions& global, int& exit_code);
// Adds `os1 bench voice` under the bench command.
void register_voice_bench(CLI::App* bench, GlobalOptions& global, int& exit_code);
// Adds `os1 bench voice-stt` under the bench command.
void register_voice_stt_bench(CLI::App* bench, GlobalOptions& global, int& exit_code);
void register_bench(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_serve(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_talk(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_user(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_token(CLI::App& app, GlobalOptions& global, int& exit_code);
void register_transcribe(CLI::App& app, GlobalOptions& global, int& exit_code);

}  // namespace os1::cli
