#include "cli/model-setup.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>
#include <unistd.h>

#include "cli/progress-bar.h"
#include "cli/terminal-environment.h"
#include "models/models.h"

namespace os1::cli {

namespace fs = std::filesystem;

namespace {

// Shows "Loading model ... 42%" on stderr while llama.cpp reads the weights.
std::function<void(float)> load_progress(const std::string& name) {
    const bool terminal = ::isatty(STDERR_FILENO);
    auto last_shown = std::make_shared<int>(-1);
    return [name, terminal, last_shown](float progress) {
        int percent = int(progress * 100.0f);
        if (percent == *last_shown || (!terminal && percent % 25 != 0 && percent != 100))
            return;
        *last_shown = percent;
        std::fprintf(stderr, terminal ? "\rLoading %s … %3d%%" : "Loading %s … %d%%\n", name.c_str(), percent);
        if (terminal && percent >= 100)
            std::fprintf(stderr, "\n");
        std::fflush(stderr);
    };
}

bool ask_yes(const std::string& question) {
    std::fprintf(stderr, "%s [Y/n] ", question.c_str());
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer))
        return false;
    return answer.empty() || answer[0] == 'y' || answer[0] == 'Y';
}

ErrorOr<fs::path> choose_local_model(const BackendOptions& options, const fs::path& data_home,
                                     Interaction interaction) {
    const models::ModelStores stores = models::model_stores(data_home);
    if (!options.model.empty())
        return models::resolve_model(options.model, stores);
    if (auto installed = models::default_model(stores))
        return installed->path;

    const models::CatalogEntry& entry = models::default_catalog_entry();
    const std::string alternatives = std::string("no model is installed; ") + models::k_offline_hint +
                                     ", or download one with 'os1 pull'";
    if (interaction == Interaction::Script || !::isatty(STDIN_FILENO))
        return make_error(alternatives);
    if (!ask_yes("No model is installed yet. Download " + entry.name + " (" + models::format_bytes(entry.approx_bytes) +
                 ", " + entry.description + ") now?"))
        return make_error(alternatives);
    return pull_with_progress(entry, stores.os1_dir);
}

// `text` as a number, all of it; nullopt when it is not one.
std::optional<double> parse_number(const std::string& text) {
    if (text.empty())
        return std::nullopt;
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size())
        return std::nullopt;
    return value;
}

std::string format_number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

}  // namespace

int32_t max_threads() {
    const int32_t hardware = int32_t(std::max(1u, std::thread::hardware_concurrency()));
    return std::min(4 * hardware, llm::k_max_threads);
}

CLI::Validator thread_count_range() {
    const int32_t most = max_threads();
    return CLI::Validator(
        [most](std::string& text) -> std::string {
            const std::optional<double> value = parse_number(text);
            if (!value || *value != std::floor(*value))
                return text + " is not a whole number of threads; use 1 to " + std::to_string(most);
            if (*value < 1 || *value > most)
                return text + " is out of range; use 1 to " + std::to_string(most) +
                       " (4 per hardware thread, at most " + std::to_string(llm::k_max_threads) + ")";
            return {};
        },
        "INT in [1 - " + std::to_string(most) + "]");
}

CLI::Validator finite_range(double min, double max, LowerBound lower) {
    const std::string range = lower == LowerBound::Exclusive
                                  ? "a number above " + format_number(min) + ", at most " + format_number(max)
                                  : "a number from " + format_number(min) + " to " + format_number(max);
    const std::string description =
        std::string(lower == LowerBound::Exclusive ? "(" : "[") + format_number(min) + ", " + format_number(max) + "]";
    return CLI::Validator(
        [min, max, lower, range](std::string& text) -> std::string {
            const std::optional<double> value = parse_number(text);
            if (!value)
                return text + " is not a number; use " + range;
            const bool below = lower == LowerBound::Exclusive ? !(*value > min) : !(*value >= min);
            if (!std::isfinite(*value) || below || *value > max)
                return text + " is out of range; use " + range;
            return {};
        },
        description);
}

void add_backend_options(CLI::App& command, BackendOptions& options) {
    command.add_option("-m,--model", options.model,
                       "Model: a GGUF file, an installed model name, or an Ollama model such as qwen2.5:0.5b "
                       "(default: the installed default model)");
    command.add_option("--backend", options.backend, "Inference backend: local (llama.cpp) or openai (a remote server)")
        ->check(CLI::IsMember({"local", "openai"}))
        ->default_val("local");
    command.add_option("--base-url", options.base_url,
                       "With --backend openai: the server's API root, for example http://127.0.0.1:8080/v1");
    command.add_option("--api-key", options.api_key, "With --backend openai: bearer token (default: $OS1_API_KEY)")
        ->envname("OS1_API_KEY");
    command.add_option("--remote-model", options.remote_model,
                       "With --backend openai: model id (default: the first one the server lists)");
    command.add_option("-c,--ctx-size", options.context_size, "Context size per conversation, in tokens")
        ->default_val(4096)
        ->check(CLI::Range(128, 1 << 20));
    command.add_option("-t,--threads", options.threads, "CPU threads for inference (default: all cores)")
        ->check(thread_count_range());
    command.add_option("--gpu-layers", options.gpu_layers,
                       "Layers to hold on the GPU in a CUDA build: 0 keeps the model on the CPU (default: all; "
                       "without a GPU, none)");
}

ErrorOr<std::unique_ptr<llm::Backend>> open_backend(const BackendOptions& options, const fs::path& data_home,
                                                    Interaction interaction) {
    if (options.backend == "openai") {
        if (options.base_url.empty())
            return make_error("--backend openai needs --base-url URL, for example http://127.0.0.1:8080/v1");
        llm::OpenAIOptions remote;
        remote.base_url = options.base_url;
        remote.api_key = options.api_key;
        remote.model = options.remote_model;
        remote.context_size = options.context_size;
        return llm::open_openai_backend(remote);
    }
    fs::path model = OS1_TRY(choose_local_model(options, data_home, interaction));
    llm::LocalEngineOptions local;
    local.model_path = model;
    local.context_size = options.context_size;
    local.parallel = options.parallel;
    local.threads = options.threads;
    local.gpu_layers = options.gpu_layers;
    local.parked_cache_bytes = size_t(options.parked_cache_mib) << 20;
    local.on_load_progress = load_progress(model.filename().string());
    return llm::open_local_engine(local);
}

ErrorOr<std::unique_ptr<llm::Embedder>> open_embedding_model(const fs::path& file, bool verbose) {
    llm::set_llama_logging(llama_log_sink(verbose));
    return llm::open_embedder({file});
}

}  // namespace os1::cli
