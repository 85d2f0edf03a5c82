// Runs a real child process for tests: arguments, stdin text, extra environment variables,
// captured stdout and stderr, exit status, and signals.
#pragma once

#include <functional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace os1::test {

struct ProcessResult {
    int exit_code = -1;  // the exit status, or 128 + signal number when killed
    std::string out;
    std::string err;
};

// Variables set in the child's environment on top of the test's own (OS1_NOW, TZ, ...).
using EnvironmentVariables = std::vector<std::pair<std::string, std::string>>;

// Runs `args` to completion with `input` on stdin.
ProcessResult run_process(const std::vector<std::string>& args, const std::string& input = {},
                          const EnvironmentVariables& env = {});

// A child whose output is read while it runs.
class Subprocess {
public:
    // `input` is written to the child's stdin, which is then closed (keep it under 64 KiB).
    explicit Subprocess(const std::vector<std::string>& args, const std::string& input = {},
                        const EnvironmentVariables& env = {});
    ~Subprocess();
    Subprocess(const Subprocess&) = delete;
    Subprocess& operator=(const Subprocess&) = delete;

    // Reads until `done(stdout so far)` holds or the child closes its stdout, however long that
    // takes (ctest's timeout is the limit); returns stdout so far.
    std::string wait_for_output(const std::function<bool(const std::string& out)>& done);
    // The same for stderr (a server's log): reads until `done(stderr so far)` holds or the child
    // closes its stderr; returns stderr so far.
    std::string wait_for_error(const std::function<bool(const std::string& err)>& done);
    void signal(int signal_number);
    // Reads the rest of the output and reaps the child.
    ProcessResult finish();
    pid_t pid() const { return m_pid; }

private:
    void pump(int timeout_ms);

    pid_t m_pid = -1;
    int m_out = -1;
    int m_err = -1;
    bool m_out_open = true;
    bool m_err_open = true;
    ProcessResult m_result;
    bool m_finished = false;
};

}  // namespace os1::test
