// `os1 bench`: the group of speed and accuracy measurements; each lives in a file of its own.
#include "cli/commands.h"

namespace os1::cli {

void register_bench(CLI::App& app, GlobalOptions& global, int& exit_code) {
    CLI::App* bench = app.add_subcommand("bench", "Measure os1's speed and accuracy");
    bench->require_subcommand(1);
    register_engine_bench(bench, exit_code);
    register_memory_bench(bench, global, exit_code);
    register_serve_bench(bench, global, exit_code);
    register_voice_bench(bench, global, exit_code);
    register_voice_stt_bench(bench, global, exit_code);
}

}  // namespace os1::cli
