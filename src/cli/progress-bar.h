// A download progress bar on stderr: bytes done and total, rate and time left. Redraws in
// place on a terminal; elsewhere prints a plain line every few seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "models/models.h"

namespace os1::cli {

class ProgressBar {
public:
    explicit ProgressBar(std::string label);
    void update(const models::DownloadProgress& progress);
    // Counts things instead of bytes: "label  120 / 500 memories  [#####...] 24%  40/s  ETA 0:09".
    void update_count(uint64_t done, uint64_t total, const char* unit);
    void done();

private:
    std::string m_label;
    bool m_terminal;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_last_draw{};
    uint64_t m_start_bytes = 0;
    bool m_started = false;
};

// Pulls a catalog model into `os1_dir` with a progress bar; returns the model's path.
ErrorOr<std::filesystem::path> pull_with_progress(const models::CatalogEntry& entry,
                                                  const std::filesystem::path& os1_dir);

}  // namespace os1::cli
