#include "support/subprocess.h"

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

namespace os1::test {

namespace {

pid_t spawn(const std::vector<std::string>& args, int* in_fd, int* out_fd, int* err_fd) {
    int in[2], out[2], err[2];
    if (::pipe(in) != 0 || ::pipe(out) != 0 || ::pipe(err) != 0)
        return -1;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(in[0], STDIN_FILENO);
        ::dup2(out[1], STDOUT_FILENO);
        ::dup2(err[1], STDERR_FILENO);
        for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]})
            ::close(fd);
        std::vector<char*> argv;
        for (const std::string& arg : args)
            argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    *in_fd = in[1];
    *out_fd = out[0];
    *err_fd = err[0];
    return pid;
}

int decode_status(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& args, const std::string& input) {
    Subprocess process(args, input);
    return process.finish();
}

Subprocess::Subprocess(const std::vector<std::string>& args, const std::string& input) {
    int in = -1;
    m_pid = spawn(args, &in, &m_out, &m_err);
    if (in < 0)
        return;
    std::signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill the test
    size_t written = 0;
    while (written < input.size()) {
        ssize_t n = ::write(in, input.data() + written, input.size() - written);
        if (n <= 0)
            break;
        written += size_t(n);
    }
    ::close(in);
}

Subprocess::~Subprocess() {
    if (!m_finished && m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        finish();
    }
}

void Subprocess::pump(int timeout_ms) {
    pollfd fds[2] = {{m_out, POLLIN, 0}, {m_err, POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) <= 0)
        return;
    char buffer[4096];
    for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP)))
            continue;
        ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n > 0)
            (i == 0 ? m_result.out : m_result.err).append(buffer, size_t(n));
    }
}

std::string Subprocess::wait_for_output(size_t bytes, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (m_result.out.size() < bytes && std::chrono::steady_clock::now() < deadline)
        pump(50);
    return m_result.out;
}

void Subprocess::signal(int signal_number) { ::kill(m_pid, signal_number); }

ProcessResult Subprocess::finish() {
    if (m_finished)
        return m_result;
    for (;;) {
        int status = 0;
        pid_t done = ::waitpid(m_pid, &status, WNOHANG);
        if (done == m_pid) {
            // Drain what is left in the pipes.
            for (int i = 0; i < 100; ++i) {
                size_t before = m_result.out.size() + m_result.err.size();
                pump(10);
                if (m_result.out.size() + m_result.err.size() == before)
                    break;
            }
            m_result.exit_code = decode_status(status);
            break;
        }
        pump(50);
    }
    ::close(m_out);
    ::close(m_err);
    m_finished = true;
    return m_result;
}

}  // namespace os1::test
