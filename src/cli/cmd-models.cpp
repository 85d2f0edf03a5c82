// `os1 models [--json]`: lists the GGUF models on this machine, os1's own and Ollama's.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/terminal-text.h"
#include "core/paths.h"
#include "models/models.h"

namespace os1::cli {

namespace {

struct ModelsOptions {
    bool json = false;
};

const char* source_name(models::ModelSource source) {
    return source == models::ModelSource::Ollama ? "ollama" : "os1";
}

int run_models(const ModelsOptions& options, const GlobalOptions& global) {
    models::ModelStores stores = models::model_stores(resolve_data_home(global.home));
    std::vector<models::InstalledModel> installed = models::list_models(stores);
    std::optional<models::InstalledModel> chosen = models::default_model(stores);
    auto is_default = [&](const models::InstalledModel& model) { return chosen && chosen->path == model.path; };

    if (options.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& model : installed) {
            list.push_back({{"name", model.name},
                            {"source", source_name(model.source)},
                            {"size_bytes", model.size_bytes},
                            {"path", model.path.string()},
                            {"chat", model.chat},
                            {"default", is_default(model)}});
        }
        std::printf("%s\n", list.dump(2).c_str());
        return 0;
    }

    if (installed.empty()) {
        std::printf("no models installed in %s or Ollama's store\n", stores.os1_dir.string().c_str());
        std::printf("get one with: os1 pull   (os1 pull --list shows the choices)\n");
        return 0;
    }
    // Names and paths come from the files in the stores, Ollama's manifests included.
    size_t name_width = 4;
    for (const auto& model : installed)
        name_width = std::max(name_width, terminal_text(model.name).size());
    std::printf("  %-*s  %-9s  %-6s  %s\n", static_cast<int>(name_width), "NAME", "SIZE", "SOURCE", "PATH");
    for (const auto& model : installed) {
        std::printf("%c %-*s  %-9s  %-6s  %s%s\n", is_default(model) ? '*' : ' ', static_cast<int>(name_width),
                    terminal_text(model.name).c_str(), models::format_bytes(model.size_bytes).c_str(),
                    source_name(model.source), terminal_text(model.path.string()).c_str(),
                    model.chat ? "" : "  (no chat template)");
    }
    if (chosen)
        std::printf("\n* used by os1 chat when no --model is given\n");
    return 0;
}

}  // namespace

void register_models(CLI::App& app, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<ModelsOptions>();
    CLI::App* cmd = app.add_subcommand("models", "List the GGUF models installed for os1 and in Ollama's store");
    cmd->add_flag("--json", options->json, "Print a JSON array (name, source, size_bytes, path, chat, default)");
    cmd->footer(
        "os1's models live in <data home>/models (see --home); os1 pull adds more. Ollama's models are\n"
        "found in $OLLAMA_MODELS, else ~/.ollama/models and /usr/share/ollama/.ollama/models, and are\n"
        "used in place. Any listed NAME works with os1 chat --model NAME.");
    cmd->callback([options, &global, &exit_code] { exit_code = run_models(*options, global); });
}

}  // namespace os1::cli
