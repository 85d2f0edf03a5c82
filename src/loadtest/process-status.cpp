#include "loadtest/process-status.h"

#include <sys/resource.h>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

namespace os1::loadtest {

ErrorOr<ProcessStatus> process_status(pid_t pid) {
    const std::string path = pid == 0 ? "/proc/self/status" : "/proc/" + std::to_string(pid) + "/status";
    std::ifstream in(path);
    if (!in)
        return make_error(ErrorKind::Unavailable, path + ": cannot be read (is this Linux, and is the process alive?)");
    ProcessStatus status;
    bool rss = false, threads = false;
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("VmRSS:")) {
            status.rss_bytes = std::strtoll(line.c_str() + 6, nullptr, 10) * 1024;  // "VmRSS:   1234 kB"
            rss = true;
        } else if (line.starts_with("Threads:")) {
            status.threads = int32_t(std::strtol(line.c_str() + 8, nullptr, 10));
            threads = true;
        }
    }
    if (!rss || !threads)
        return make_error(ErrorKind::Unavailable, path + ": no VmRSS or Threads line");
    return status;
}

ErrorOr<uint64_t> raise_open_files_limit(uint64_t wanted) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return make_error("cannot read the limit on open files");
    if (limit.rlim_cur >= wanted)
        return uint64_t(limit.rlim_cur);
    limit.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        return make_error("cannot raise the limit on open files to " + std::to_string(limit.rlim_cur));
    return uint64_t(limit.rlim_cur);
}

}  // namespace os1::loadtest
