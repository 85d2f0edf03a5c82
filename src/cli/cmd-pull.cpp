// `os1 pull [NAME|URL]`: downloads a catalog model (or any GGUF URL) into <data home>/models,
// with a progress bar, resuming and checksum verification.
#include <cctype>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/progress-bar.h"
#include "cli/terminal-text.h"
#include "core/paths.h"
#include "models/models.h"

namespace os1::cli {

namespace {

namespace fs = std::filesystem;

struct PullOptions {
    std::string target;  // catalog name or URL; empty: the default
    std::string sha256;  // for URLs
    bool list = false;
};

bool is_url(const std::string& text) {
    return text.starts_with("https://") || text.starts_with("http://");
}

std::string lowercase(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

bool is_sha256_hex(const std::string& text) {
    return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool has_gguf_extension(const std::string& name) {
    return name.size() > 5 && lowercase(name.substr(name.size() - 5)) == ".gguf";
}

// The file name that a URL downloads to: its last path segment.
std::string file_name_of(const std::string& url) {
    std::string path = url.substr(0, url.find_first_of("?#"));
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

int list_catalog(const models::ModelStores& stores) {
    std::printf("%-17s %-10s %-10s %s\n", "NAME", "SIZE", "INSTALLED", "DESCRIPTION");
    for (const auto& entry : models::catalog()) {
        std::error_code ec;
        bool installed = fs::is_regular_file(stores.os1_dir / entry.file, ec);
        std::string name = entry.name + (&entry == &models::default_catalog_entry() ? "*" : "");
        std::printf("%-17s %-10s %-10s %s\n", name.c_str(), ("~" + models::format_bytes(entry.approx_bytes)).c_str(),
                    installed ? "yes" : "no", entry.description.c_str());
    }
    std::printf("\n* the default. Files come from %s/<repo>:\n", models::hf_endpoint().c_str());
    for (const auto& entry : models::catalog())
        std::printf("  %-17s %s/%s\n", entry.name.c_str(), entry.repo.c_str(), entry.file.c_str());
    return 0;
}

void print_next_step(const models::ModelStores& stores, const fs::path& path, const std::string& name,
                     models::ModelKind kind = models::ModelKind::Chat) {
    if (kind == models::ModelKind::Speech) {
        std::printf("os1 talk and os1 serve now recognise speech with it (--stt whisper --whisper-model %s)\n",
                    name.c_str());
        return;
    }
    auto chosen = models::default_model(stores);
    if (chosen && chosen->path == path)
        std::printf("start a conversation with: os1 chat\n");
    else
        std::printf("start a conversation with: os1 chat --model %s\n", name.c_str());
}

int run_pull(PullOptions& options, const GlobalOptions& global) {
    fs::path data_home = resolve_data_home(global.home);
    models::ModelStores stores = models::model_stores(data_home);
    if (options.list)
        return list_catalog(stores);

    options.sha256 = lowercase(options.sha256);
    if (!options.sha256.empty() && !is_sha256_hex(options.sha256)) {
        std::fprintf(stderr, "os1 pull: --sha256 %s: expected 64 hexadecimal digits\n", options.sha256.c_str());
        return 2;
    }

    if (is_url(options.target)) {
        std::string name = file_name_of(options.target);
        if (!has_gguf_extension(name)) {
            std::fprintf(stderr, "os1 pull: %s: the URL's file name does not end in .gguf; os1 runs GGUF models only\n",
                         options.target.c_str());
            return 2;
        }
        models::DownloadOptions download;
        download.url = options.target;
        download.destination = stores.os1_dir / name;
        download.sha256 = options.sha256;
        std::error_code ec;
        if (fs::is_regular_file(download.destination, ec)) {
            std::printf("%s is already installed: %s\n", name.c_str(), download.destination.string().c_str());
            return 0;
        }
        if (auto writable = ensure_writable_dir(stores.os1_dir); !writable) {
            std::fprintf(stderr, "os1 pull: %s\n", terminal_text(writable.error().message).c_str());
            return 1;
        }
        if (options.sha256.empty())
            std::fprintf(stderr, "note: no --sha256 given; the download will not be verified\n");
        ProgressBar bar(name);
        download.on_progress = [&bar](const models::DownloadProgress& progress) { bar.update(progress); };
        download.on_notice = [&bar](const std::string& notice) {
            bar.done();
            std::fprintf(stderr, "%s\n", notice.c_str());
        };
        auto done = models::download(download);
        bar.done();
        if (!done) {
            std::fprintf(stderr, "os1 pull: %s\n", terminal_text(done.error().message).c_str());
            return 1;
        }
        std::printf("saved %s (%s)\n", download.destination.string().c_str(),
                    models::format_bytes(fs::file_size(download.destination, ec)).c_str());
        print_next_step(stores, download.destination, fs::path(name).stem().string());
        return 0;
    }

    if (!options.sha256.empty()) {
        std::fprintf(stderr, "os1 pull: --sha256 applies to URLs only; catalog models are verified automatically\n");
        return 2;
    }
    const models::CatalogEntry* entry =
        options.target.empty() ? &models::default_catalog_entry() : models::find_catalog_entry(options.target);
    if (!entry) {
        std::string names;
        for (const auto& known : models::catalog())
            names += (names.empty() ? "" : ", ") + known.name;
        std::fprintf(stderr, "os1 pull: unknown model '%s'; choose one of %s (os1 pull --list), or pass a GGUF URL\n",
                     options.target.c_str(), names.c_str());
        return 2;
    }
    fs::path destination = stores.os1_dir / entry->file;
    std::error_code ec;
    if (fs::is_regular_file(destination, ec)) {
        std::printf("%s is already installed: %s\n", entry->name.c_str(), destination.string().c_str());
        print_next_step(stores, destination, entry->name, entry->kind);
        return 0;
    }
    std::fprintf(stderr, "pulling %s (~%s) from %s/%s\n", entry->name.c_str(),
                 models::format_bytes(entry->approx_bytes).c_str(), models::hf_endpoint().c_str(), entry->repo.c_str());
    auto pulled = pull_with_progress(*entry, stores.os1_dir);
    if (!pulled) {
        std::fprintf(stderr, "os1 pull: %s\n", terminal_text(pulled.error().message).c_str());
        return 1;
    }
    std::printf("saved %s (%s)\n", pulled.value().string().c_str(),
                models::format_bytes(fs::file_size(pulled.value(), ec)).c_str());
    print_next_step(stores, pulled.value(), entry->name, entry->kind);
    return 0;
}

}  // namespace

void register_pull(CLI::App& app, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<PullOptions>();
    CLI::App* cmd = app.add_subcommand(
        "pull", "Download a model into the data folder (default: " + models::default_catalog_entry().name + ")");
    cmd->add_option("model", options->target,
                    "A catalog name (see --list) or the https:// URL of a GGUF file; default: " +
                        models::default_catalog_entry().name);
    cmd->add_flag("--list", options->list, "Show the catalog of models that can be pulled by name");
    cmd->add_option("--sha256", options->sha256, "Expected SHA-256 (64 hex digits) of a URL download")
        ->type_name("HEX");
    cmd->footer(
        "Models are saved to <data home>/models (see --home). An interrupted download resumes where it\n"
        "stopped when the same command runs again. Catalog models are verified against the sha256 that\n"
        "Hugging Face publishes.\n"
        "\n"
        "Environment:\n"
        "  OS1_HF_ENDPOINT  Hugging Face endpoint or mirror (default: https://huggingface.co)\n"
        "  HF_TOKEN         access token for gated or private repositories\n"
        "\n"
        "Examples:\n"
        "  os1 pull\n"
        "  os1 pull qwen2.5-0.5b\n"
        "  os1 pull whisper-base.en     speech recognition for os1 talk (whisper.cpp)\n"
        "  os1 pull https://example.org/model.gguf --sha256 <64 hex digits>");
    cmd->callback([options, &global, &exit_code] { exit_code = run_pull(*options, global); });
}

}  // namespace os1::cli
