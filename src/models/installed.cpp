// Models already on this machine: os1's own folder and Ollama's store, and which file a
// --model argument (or no argument) means.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "core/file-read.h"
#include "core/handles.h"
#include "models/detail.h"
#include "models/models.h"

namespace os1::models {

namespace fs = std::filesystem;

namespace {

std::string lowercase(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && lowercase(std::string(text.substr(text.size() - suffix.size()))) == suffix;
}

bool looks_like_path(const std::string& argument) {
    return argument.starts_with("/") || argument.starts_with("./") || argument.starts_with("../") ||
           argument.starts_with("~") || ends_with(argument, ".gguf");
}

// "qwen2.5" -> "qwen2.5:latest"; "registry.ollama.ai/library/qwen2.5:0.5b" -> "qwen2.5:0.5b".
std::string normalise_ollama_name(std::string name) {
    name = lowercase(std::move(name));
    for (const char* prefix : {"registry.ollama.ai/", "library/"}) {
        if (name.starts_with(prefix))
            name.erase(0, std::strlen(prefix));
    }
    size_t slash = name.rfind('/');
    if (name.find(':', slash == std::string::npos ? 0 : slash) == std::string::npos)
        name += ":latest";
    return name;
}

std::string installed_names(const std::vector<InstalledModel>& models) {
    std::string names;
    for (const auto& model : models) {
        if (names.size() > 200) {
            names += ", ...";
            break;
        }
        names += (names.empty() ? "" : ", ") + model.name;
    }
    return names;
}

}  // namespace

namespace detail {

bool is_gguf_file(const fs::path& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        return false;
    FilePtr file(std::fopen(path.c_str(), "rb"));
    char magic[4] = {};
    return file && std::fread(magic, 1, sizeof magic, file.get()) == sizeof magic && std::memcmp(magic, "GGUF", 4) == 0;
}

uint64_t file_size_or_zero(const fs::path& path) {
    std::error_code ec;
    uint64_t size = fs::file_size(path, ec);
    return ec ? 0 : size;
}

}  // namespace detail

ModelStores model_stores(const fs::path& data_home) {
    ModelStores stores;
    stores.os1_dir = data_home / "models";
    if (const char* env = std::getenv("OLLAMA_MODELS"); env && *env) {
        stores.ollama_roots.emplace_back(env);
        return stores;
    }
    if (const char* home = std::getenv("HOME"); home && *home)
        stores.ollama_roots.push_back(fs::path(home) / ".ollama" / "models");
    stores.ollama_roots.emplace_back("/usr/share/ollama/.ollama/models");
    return stores;
}

std::vector<InstalledModel> list_os1_models(const fs::path& os1_dir) {
    std::vector<InstalledModel> models;
    std::error_code ec;
    for (fs::directory_iterator it(os1_dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path& path = it->path();
        if (!ends_with(path.filename().string(), ".gguf") || !it->is_regular_file(ec))
            continue;
        InstalledModel model;
        model.name = path.stem().string();
        for (const auto& entry : catalog()) {
            if (entry.file == path.filename().string())
                model.name = entry.name;
        }
        model.path = path;
        model.size_bytes = detail::file_size_or_zero(path);
        model.source = ModelSource::Os1;
        models.push_back(std::move(model));
    }
    std::sort(models.begin(), models.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return models;
}

std::vector<InstalledModel> list_models(const ModelStores& stores) {
    std::vector<InstalledModel> models = list_os1_models(stores.os1_dir);
    for (auto& model : list_ollama_models(stores.ollama_roots))
        models.push_back(std::move(model));
    return models;
}

ErrorOr<fs::path> resolve_model(const std::string& argument, const ModelStores& stores) {
    if (argument.empty())
        return make_error("--model: empty name; pass a GGUF file, a model from os1 models, or leave it out");

    std::error_code ec;
    fs::path as_path(argument);
    if (fs::exists(as_path, ec)) {
        const fs::file_status status = fs::status(as_path, ec);
        if (fs::is_directory(status))
            return make_error(argument + ": is a folder, not a model file; pass the .gguf file inside it");
        if (!fs::is_regular_file(status))
            return make_error(argument + ": is " + file_kind(status) + ", not a regular file; pass a .gguf file");
        if (::access(as_path.c_str(), R_OK) != 0)
            return make_error(argument + ": cannot be read: " + std::strerror(errno) + "; check its permissions");
        if (!detail::is_gguf_file(as_path))
            return make_error(argument +
                              ": not a GGUF model file (it does not start with \"GGUF\"); pass a .gguf file");
        return fs::absolute(as_path, ec);
    }

    std::vector<InstalledModel> own = list_os1_models(stores.os1_dir);
    std::string wanted = lowercase(argument);
    for (const auto& model : own) {
        if (lowercase(model.name) == wanted || lowercase(model.path.filename().string()) == wanted ||
            lowercase(model.path.stem().string()) == wanted)
            return model.path;
    }
    if (const CatalogEntry* entry = find_catalog_entry(argument))
        return make_error(argument + ": not downloaded yet; get it with: os1 pull " + entry->name);
    if (looks_like_path(argument))
        return make_error(argument + ": no such file; check the path, or see os1 models for installed models");

    std::vector<InstalledModel> ollama = list_ollama_models(stores.ollama_roots);
    std::string ollama_name = normalise_ollama_name(argument);
    for (const auto& model : ollama) {
        if (lowercase(model.name) == ollama_name)
            return model.path;
    }

    std::vector<InstalledModel> all = std::move(own);
    all.insert(all.end(), ollama.begin(), ollama.end());
    if (all.empty())
        return make_error(argument + ": no such model, and none is installed; get one with: os1 pull");
    return make_error(argument + ": no such model; installed: " + installed_names(all) +
                      " (os1 models lists them; os1 pull --list shows what can be downloaded)");
}

std::optional<InstalledModel> default_model(const ModelStores& stores) {
    std::vector<InstalledModel> own = list_os1_models(stores.os1_dir);
    for (const auto& entry : catalog()) {
        for (const auto& model : own) {
            if (model.path.filename() == entry.file)
                return model;
        }
    }
    if (!own.empty())
        return own.front();
    std::optional<InstalledModel> smallest;
    for (auto& model : list_ollama_models(stores.ollama_roots)) {
        if (model.chat && (!smallest || model.size_bytes < smallest->size_bytes))
            smallest = std::move(model);
    }
    return smallest;
}

}  // namespace os1::models
