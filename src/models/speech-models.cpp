// Finding whisper.cpp's speech models: the catalog's speech entries, as `os1 pull` saved them in
// os1's model folder, or any file the user names.
#include <system_error>

#include "models/models.h"

namespace os1::models {

namespace fs = std::filesystem;

std::vector<InstalledModel> list_speech_models(const fs::path& os1_dir) {
    std::vector<InstalledModel> installed;
    for (const CatalogEntry& entry : catalog()) {
        if (entry.kind != ModelKind::Speech)
            continue;
        std::error_code ec;
        const fs::path path = os1_dir / entry.file;
        if (!fs::is_regular_file(path, ec))
            continue;
        InstalledModel model;
        model.name = entry.name;
        model.path = path;
        model.size_bytes = fs::file_size(path, ec);
        model.chat = false;
        installed.push_back(std::move(model));
    }
    return installed;
}

ErrorOr<fs::path> resolve_speech_model(const std::string& argument, const fs::path& os1_dir) {
    const std::vector<InstalledModel> installed = list_speech_models(os1_dir);
    if (argument.empty()) {
        if (installed.empty())
            return make_error(ErrorKind::NotFound,
                              "no whisper model is installed; get one with: os1 pull whisper-base.en");
        return installed.front().path;
    }
    std::error_code ec;
    if (fs::exists(argument, ec))
        return fs::absolute(argument, ec);
    for (const InstalledModel& model : installed) {
        if (model.name == argument || model.path.filename() == argument)
            return model.path;
    }
    const CatalogEntry* entry = find_catalog_entry(argument);
    if (entry && entry->kind == ModelKind::Speech)
        return make_error(ErrorKind::NotFound, argument + ": not downloaded yet; get it with: os1 pull " + entry->name);
    return make_error(ErrorKind::NotFound, argument +
                                               ": no such whisper model file, and no installed speech model has "
                                               "that name; see os1 pull --list");
}

}  // namespace os1::models
