// What the kernel says a process holds now: resident memory and threads, from
// /proc/<pid>/status (Linux). Thread-safe.
#pragma once

#include <sys/types.h>
#include <cstdint>

#include "core/error.h"

namespace os1::loadtest {

struct ProcessStatus {
    int64_t rss_bytes = 0;  // VmRSS
    int32_t threads = 0;    // Threads
};

// This process's status when `pid` is 0.
ErrorOr<ProcessStatus> process_status(pid_t pid = 0);

// Raises this process's soft limit on open files to at least `wanted` (at most the hard
// limit); returns the limit now in force.
ErrorOr<uint64_t> raise_open_files_limit(uint64_t wanted);

}  // namespace os1::loadtest
