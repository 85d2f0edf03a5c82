// Runs a real child process for tests: arguments, stdin text, captured stdout and stderr,
// exit status, and signals.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace os1::test {

struct ProcessResult {
    int exit_code = -1;  // the exit status, or 128 + signal number when killed
    std::string out;
    std::string err;
};

// Runs `args` to completion with `input` on stdin.
ProcessResult run_process(const std::vector<std::string>& args, const std::string& input = {});

// A child whose output is read while it runs.
class Subprocess {
public:
    // `input` is written to the child's stdin, which is then closed (keep it under 64 KiB).
    explicit Subprocess(const std::vector<std::string>& args, const std::string& input = {});
    ~Subprocess();
    Subprocess(const Subprocess&) = delete;
    Subprocess& operator=(const Subprocess&) = delete;

    // Waits up to `timeout_ms` until stdout holds at least `bytes` bytes; returns what is there.
    std::string wait_for_output(size_t bytes, int timeout_ms);
    void signal(int signal_number);
    // Reads the rest of the output and reaps the child.
    ProcessResult finish();
    pid_t pid() const { return m_pid; }

private:
    void pump(int timeout_ms);

    pid_t m_pid = -1;
    int m_out = -1;
    int m_err = -1;
    ProcessResult m_result;
    bool m_finished = false;
};

}  // namespace os1::test
