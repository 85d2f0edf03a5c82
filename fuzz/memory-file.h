// The input of a fuzz target as a file, for code that reads files by path: an anonymous file in
// memory (memfd), named by its /proc/self/fd path, closed when this goes out of scope.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "check.h"

class MemoryFile {
public:
    MemoryFile(const uint8_t* data, size_t size) : m_fd(memfd_create("fuzz-input", MFD_CLOEXEC)) {
        OS1_FUZZ_CHECK(m_fd >= 0);
        for (size_t done = 0; done < size;) {
            const ssize_t n = write(m_fd, data + done, size - done);
            OS1_FUZZ_CHECK(n > 0);
            done += size_t(n);
        }
    }
    ~MemoryFile() { close(m_fd); }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;

    std::string path() const { return "/proc/self/fd/" + std::to_string(m_fd); }

private:
    int m_fd;
};
