// Resumable, verified downloads. Data is appended to <destination>.part; a later run resumes
// it with a Range request, and only a complete, verified file is renamed to its final name.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <thread>

#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/handles.h"
#include "models/detail.h"
#include "models/models.h"

namespace os1::models {

namespace fs = std::filesystem;

namespace {

struct ContentRange {
    uint64_t start = 0;
    std::optional<uint64_t> total;  // absent when the server wrote "/*"
};

std::optional<uint64_t> parse_u64(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data())
        return std::nullopt;
    return value;
}

// "bytes 100-199/1000", "bytes 100-199/*" or "bytes */1000" (the last only with 416).
std::optional<ContentRange> parse_content_range(std::string_view value) {
    size_t unit = value.find("bytes");
    if (unit == std::string_view::npos)
        return std::nullopt;
    value.remove_prefix(unit + 5);
    size_t slash = value.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    ContentRange range;
    std::string_view span = value.substr(0, slash);
    while (!span.empty() && span.front() == ' ')
        span.remove_prefix(1);
    if (span != "*") {
        auto start = parse_u64(span.substr(0, span.find('-')));
        if (!start)
            return std::nullopt;
        range.start = *start;
    }
    range.total = parse_u64(value.substr(slash + 1));
    return range;
}

bool header_is(std::string_view line, std::string_view name) {
    if (line.size() <= name.size() || line[name.size()] != ':')
        return false;
    for (size_t i = 0; i < name.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i])
            return false;
    }
    return true;
}

// State of one HTTP transfer into the .part file.
struct Transfer {
    const DownloadOptions* options = nullptr;
    std::FILE* file = nullptr;
    fs::path part;
    CURL* curl = nullptr;
    uint64_t offset = 0;   // bytes on disk when the request was sent
    uint64_t written = 0;  // bytes appended by this transfer
    uint64_t total = 0;    // size of the whole file; 0 while unknown
    bool started = false;  // the first body byte arrived and the response was checked
    // From the headers of the latest response (redirects reset them).
    std::optional<uint64_t> content_length;
    std::optional<ContentRange> content_range;
    // Why the write callback stopped the transfer, if it did.
    std::optional<Error> failure;
    int write_errno = 0;
};

Error disk_error(const Transfer& t, int error_number) {
    fs::path dir = t.part.parent_path();
    std::error_code ec;
    auto space = fs::space(dir, ec);
    std::string name = t.options->destination.filename().string();
    if (error_number == ENOSPC || error_number == EDQUOT) {
        std::string needed =
            t.total > 0 ? format_bytes(t.total - std::min(t.total, t.offset + t.written)) : std::string("more");
        return make_error(dir.string() + ": disk full while writing " + name + " (" + needed + " still needed, " +
                          (ec ? std::string("unknown") : format_bytes(space.available)) +
                          " free); free some space and run the same command again to resume");
    }
    return make_error(t.part.string() + ": cannot write: " + std::strerror(error_number) +
                      "; check the disk and the folder's permissions");
}

// Looks at the response before its first body byte is stored: a 206 continues the .part, a
// 200 means the server ignored the Range header and the file restarts from zero.
bool start_body(Transfer& t) {
    long status = 0;
    curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &status);
    const std::string& url = t.options->url;
    if (status < 200 || status >= 300)
        return false;  // not a body to keep; the status is reported after the transfer
    if (status == 206) {
        if (!t.content_range || t.content_range->start != t.offset) {
            t.failure = make_error(url + ": the server resumed at the wrong place (asked for byte " +
                                   std::to_string(t.offset) + "); delete " + t.part.string() + " and try again");
            return false;
        }
        if (t.content_range->total)
            t.total = *t.content_range->total;
        else if (t.content_length)
            t.total = t.offset + *t.content_length;
    } else {
        if (t.offset > 0) {
            if (::ftruncate(fileno(t.file), 0) != 0) {
                t.failure = disk_error(t, errno);
                return false;
            }
            if (t.options->on_notice)
                t.options->on_notice(detail::url_host(url) + " does not support resuming; downloading " +
                                     t.options->destination.filename().string() + " from the start");
            t.offset = 0;
        }
        t.total = t.content_length.value_or(0);
    }
    if (t.total == 0)
        t.total = t.options->expected_bytes;
    if (t.total > t.offset) {
        std::error_code ec;
        auto space = fs::space(t.part.parent_path(), ec);
        uint64_t needed = t.total - t.offset;
        if (!ec && space.available < needed) {
            t.failure = make_error(t.part.parent_path().string() + ": not enough disk space for " +
                                   t.options->destination.filename().string() + ": " + format_bytes(needed) +
                                   " needed, " + format_bytes(space.available) +
                                   " free; free some space, or keep os1's data elsewhere with --home DIR");
            return false;
        }
    }
    t.started = true;
    return true;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t bytes = size * count;
    std::string_view line(data, bytes);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
        line.remove_suffix(1);
    if (line.rfind("HTTP/", 0) == 0) {
        t->content_length.reset();
        t->content_range.reset();
    } else if (header_is(line, "content-length")) {
        t->content_length = parse_u64(line.substr(15));
    } else if (header_is(line, "content-range")) {
        t->content_range = parse_content_range(line.substr(14));
    }
    return bytes;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t bytes = size * count;
    try {
        if (!t->started && !start_body(*t))
            return 0;
        if (std::fwrite(data, 1, bytes, t->file) != bytes) {
            t->write_errno = errno ? errno : EIO;
            return 0;
        }
        t->written += bytes;
        if (t->options->on_progress)
            t->options->on_progress({t->offset + t->written, t->total, t->offset});
        return bytes;
    } catch (const std::exception& e) {
        t->failure = make_error(t->options->url + ": " + e.what());
        return 0;
    }
}

enum class Outcome { Complete, Retry, RetryNow };

struct AttemptResult {
    Outcome outcome = Outcome::Complete;
    std::optional<Error> error;  // set with Retry: the error to report when no attempts are left
    uint64_t progressed = 0;     // bytes stored by the attempt
};

uint64_t file_size_of(std::FILE* file) {
    struct stat st {};
    if (::fstat(fileno(file), &st) != 0)
        return 0;
    return static_cast<uint64_t>(st.st_size);
}

// One HTTP request that appends to the .part; an ErrorOr error means stop for good.
ErrorOr<AttemptResult> attempt(const DownloadOptions& options, std::FILE* file, const fs::path& part) {
    Transfer t;
    t.options = &options;
    t.file = file;
    t.part = part;
    t.offset = file_size_of(file);
    if (options.expected_bytes > 0 && t.offset == options.expected_bytes)
        return AttemptResult{};  // already complete: only the checks remain
    if (options.expected_bytes > 0 && t.offset > options.expected_bytes) {
        if (::ftruncate(fileno(file), 0) != 0)
            return disk_error(t, errno);
        t.offset = 0;
    }

    char error_buffer[CURL_ERROR_SIZE];
    CurlPtr curl = OS1_TRY(detail::make_curl(options.url, error_buffer));
    t.curl = curl.get();
    CurlSlistPtr headers = detail::make_header_list(options.headers);
    std::string range = std::to_string(t.offset) + "-";
    curl_easy_setopt(t.curl, CURLOPT_HTTPHEADER, headers.get());
    if (t.offset > 0) {
        curl_easy_setopt(t.curl, CURLOPT_RANGE, range.c_str());
        if (options.on_notice)
            options.on_notice("resuming " + options.destination.filename().string() + " at " + format_bytes(t.offset));
    }
    curl_easy_setopt(t.curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(t.curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(t.curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(t.curl, CURLOPT_WRITEDATA, &t);

    CURLcode code = curl_easy_perform(t.curl);
    if (std::fflush(file) != 0 && !t.write_errno)
        t.write_errno = errno;
    if (t.failure)
        return *t.failure;
    if (t.write_errno)
        return disk_error(t, t.write_errno);

    AttemptResult result;
    result.progressed = t.written;
    if (code != CURLE_OK && code != CURLE_WRITE_ERROR) {
        if (!detail::is_network_failure(code))
            return make_error(options.url + ": " + (error_buffer[0] ? error_buffer : curl_easy_strerror(code)));
        result.outcome = Outcome::Retry;
        result.error = detail::network_error(options.url, code, error_buffer);
        return result;
    }

    long status = 0;
    curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &status);
    if (status == 416 && t.offset > 0) {
        // The .part already holds the whole file, or more than the file now has.
        if (t.content_range && t.content_range->total == t.offset)
            return AttemptResult{};
        if (::ftruncate(fileno(file), 0) != 0)
            return disk_error(t, errno);
        result.outcome = Outcome::RetryNow;
        return result;
    }
    if (status >= 500 || status == 429) {
        result.outcome = Outcome::Retry;
        result.error = detail::http_status_error(options.url, status);
        return result;
    }
    if (status < 200 || status >= 300)
        return detail::http_status_error(options.url, status);
    if (code == CURLE_WRITE_ERROR)
        return make_error(options.url + ": the transfer stopped unexpectedly; try again");
    if (!t.started && t.offset > 0 && status == 200) {
        // A complete answer with an empty body: the file is empty now.
        if (::ftruncate(fileno(file), 0) != 0)
            return disk_error(t, errno);
    }
    if (t.total > 0 && t.offset + t.written < t.total) {
        result.outcome = Outcome::Retry;
        result.error = detail::network_error(options.url, CURLE_PARTIAL_FILE, "the server closed the connection early");
    }
    return result;
}

// Makes the rename of `dir`'s entry durable.
void sync_dir(const fs::path& dir) {
    // fopen can open a directory read-only on Linux, which is all fsync needs.
    FilePtr handle(std::fopen(dir.c_str(), "r"));
    if (handle)
        ::fsync(fileno(handle.get()));
}

}  // namespace

ErrorOr<void> download(const DownloadOptions& options) {
    if (options.url.empty() || options.destination.empty())
        return make_error("download: no URL or destination given (a bug in the caller)");
    fs::path part = options.destination;
    part += ".part";
    std::error_code ec;
    fs::create_directories(part.parent_path(), ec);
    if (ec)
        return make_error(part.parent_path().string() + ": cannot create the folder: " + ec.message() +
                          " (choose another data folder with --home DIR)");

    FilePtr file(std::fopen(part.c_str(), "ab"));
    if (!file)
        return make_error(part.string() + ": cannot open for writing: " + std::strerror(errno) +
                          "; check the folder's permissions and free space");
    if (::flock(fileno(file.get()), LOCK_EX | LOCK_NB) != 0)
        return make_error(part.string() + ": another os1 pull is downloading this file; wait for it to finish");

    int attempts_left = std::max(1, options.attempts);
    auto delay = options.retry_delay;
    bool restarted = false;
    while (true) {
        AttemptResult result = OS1_TRY(attempt(options, file.get(), part));
        if (result.outcome == Outcome::Complete)
            break;
        if (result.outcome == Outcome::RetryNow && !restarted) {
            restarted = true;
            continue;
        }
        // Retry while transfers make progress; a server that cannot be reached at all is
        // reported at once rather than after minutes of waiting.
        --attempts_left;
        if (attempts_left <= 0 || !result.error || result.progressed == 0) {
            if (!result.error)
                return make_error(options.url + ": the download did not complete; try again");
            if (uint64_t kept = file_size_of(file.get()); kept > 0)
                result.error->message += " (the " + format_bytes(kept) + " downloaded so far are kept in " +
                                         part.string() + " and the same command resumes from there)";
            return *result.error;
        }
        if (options.on_notice) {
            char seconds[32];
            std::snprintf(seconds, sizeof seconds, "%.1f s", static_cast<double>(delay.count()) / 1000.0);
            options.on_notice("connection lost at " + format_bytes(file_size_of(file.get())) + "; retrying in " +
                              seconds);
        }
        std::this_thread::sleep_for(delay);
        delay *= 2;
    }

    if (::fsync(fileno(file.get())) != 0)
        return make_error(part.string() + ": cannot flush to disk: " + std::strerror(errno) + "; check the disk");
    uint64_t size = file_size_of(file.get());
    file.reset();

    if (options.expected_bytes > 0 && size != options.expected_bytes) {
        fs::remove(part, ec);
        return make_error(options.destination.filename().string() + ": the download has " + std::to_string(size) +
                          " bytes but should have " + std::to_string(options.expected_bytes) +
                          "; the bad download was deleted: run the same command again");
    }
    if (!options.sha256.empty()) {
        if (options.on_notice)
            options.on_notice("verifying the sha256 of " + options.destination.filename().string());
        std::string actual = OS1_TRY(sha256_file(part));
        if (actual != options.sha256) {
            fs::remove(part, ec);
            return make_error(options.destination.filename().string() + ": checksum mismatch (expected sha256 " +
                              options.sha256 + ", got " + actual +
                              "); the bad download was deleted: run the command again, and check the expected checksum "
                              "if it fails again");
        }
    }
    fs::rename(part, options.destination, ec);
    if (ec)
        return make_error(options.destination.string() + ": cannot move the finished download into place: " +
                          ec.message() + "; it is kept as " + part.string());
    sync_dir(options.destination.parent_path());
    return {};
}

}  // namespace os1::models
