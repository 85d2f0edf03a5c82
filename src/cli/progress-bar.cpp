#include "cli/progress-bar.h"

#include <cstdio>
#include <unistd.h>

namespace os1::cli {

namespace {

std::string format_duration(double seconds) {
    if (seconds < 0 || seconds > 360000)
        return "--:--";
    int total = int(seconds + 0.5);
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof text, "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60);
    else
        std::snprintf(text, sizeof text, "%d:%02d", total / 60, total % 60);
    return text;
}

}  // namespace

ProgressBar::ProgressBar(std::string label)
    : m_label(std::move(label)), m_terminal(::isatty(STDERR_FILENO)), m_start(std::chrono::steady_clock::now()) {}

void ProgressBar::update(const models::DownloadProgress& progress) {
    auto now = std::chrono::steady_clock::now();
    if (!m_started) {
        m_started = true;
        m_start = now;
        m_start_bytes = progress.done_bytes;
    }
    const auto interval = m_terminal ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
    const bool complete = progress.total_bytes != 0 && progress.done_bytes >= progress.total_bytes;
    if (now - m_last_draw < interval && !complete)
        return;
    m_last_draw = now;

    double elapsed = std::chrono::duration<double>(now - m_start).count();
    double rate = elapsed > 0 ? double(progress.done_bytes - m_start_bytes) / elapsed : 0;
    std::string line = m_label + "  " + models::format_bytes(progress.done_bytes);
    if (progress.total_bytes != 0) {
        double fraction = double(progress.done_bytes) / double(progress.total_bytes);
        const int width = 24;
        int filled = int(fraction * width);
        line += " / " + models::format_bytes(progress.total_bytes) + "  [" + std::string(size_t(filled), '#') +
                std::string(size_t(width - filled), '.') + "] " + std::to_string(int(fraction * 100)) + "%";
        double remaining = rate > 0 ? double(progress.total_bytes - progress.done_bytes) / rate : -1;
        line += "  " + models::format_bytes(uint64_t(rate)) + "/s  ETA " + format_duration(remaining);
    } else {
        line += "  " + models::format_bytes(uint64_t(rate)) + "/s";
    }
    std::fprintf(stderr, m_terminal ? "\r%s\033[K" : "%s\n", line.c_str());
    std::fflush(stderr);
}

void ProgressBar::update_count(uint64_t done, uint64_t total, const char* unit) {
    auto now = std::chrono::steady_clock::now();
    if (!m_started) {
        m_started = true;
        m_start = now;
        m_start_bytes = done;
    }
    const auto interval = m_terminal ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
    if (now - m_last_draw < interval && done < total)
        return;
    m_last_draw = now;
    double elapsed = std::chrono::duration<double>(now - m_start).count();
    double rate = elapsed > 0 ? double(done - m_start_bytes) / elapsed : 0;
    double fraction = total ? double(done) / double(total) : 1.0;
    const int width = 24;
    int filled = int(fraction * width);
    double remaining = rate > 0 ? double(total - done) / rate : -1;
    std::string line = m_label + "  " + std::to_string(done) + " / " + std::to_string(total) + " " + unit + "  [" +
                       std::string(size_t(filled), '#') + std::string(size_t(width - filled), '.') + "] " +
                       std::to_string(int(fraction * 100)) + "%  " + std::to_string(int64_t(rate)) + "/s  ETA " +
                       format_duration(remaining);
    std::fprintf(stderr, m_terminal ? "\r%s\033[K" : "%s\n", line.c_str());
    std::fflush(stderr);
}

void ProgressBar::done() {
    if (m_terminal && m_started)
        std::fprintf(stderr, "\n");
    m_started = false;  // the next update starts a fresh line and rate measurement
}

ErrorOr<std::filesystem::path> pull_with_progress(const models::CatalogEntry& entry,
                                                  const std::filesystem::path& os1_dir) {
    ProgressBar bar(entry.file);
    models::DownloadOptions options;
    options.on_progress = [&bar](const models::DownloadProgress& progress) { bar.update(progress); };
    options.on_notice = [&bar](const std::string& notice) {
        bar.done();
        std::fprintf(stderr, "%s\n", notice.c_str());
    };
    auto path = models::pull_catalog_entry(entry, os1_dir, options);
    bar.done();
    return path;
}

}  // namespace os1::cli
