#include "support/subprocess.h"

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace os1::test {

namespace {

// The test's environment with `extra` set on top, as "NAME=value" strings for execve.
std::vector<std::string> child_environment(const EnvironmentVariables& extra) {
    std::vector<std::string> out;
    for (char** entry = environ; *entry; ++entry) {
        const std::string_view text(*entry);
        const std::string_view name = text.substr(0, text.find('='));
        bool replaced = false;
        for (const auto& [key, value] : extra)
            replaced |= name == key;
        if (!replaced)
            out.emplace_back(text);
    }
    for (const auto& [key, value] : extra)
        out.push_back(key + "=" + value);
    return out;
}

pid_t spawn(const std::vector<std::string>& args, const EnvironmentVariables& env, int* in_fd, int* out_fd,
            int* err_fd) {
    // Built before fork: only async-signal-safe calls may run in the child.
    std::vector<std::string> env_strings = child_environment(env);
    std::vector<char*> envp;
    for (std::string& entry : env_strings)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::vector<char*> argv;
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    int in[2], out[2], err[2];
    if (::pipe(in) != 0 || ::pipe(out) != 0 || ::pipe(err) != 0)
        return -1;
    pid_t pid = ::fork();
    if (pid < 0) {
        for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]})
            ::close(fd);
        return -1;
    }
    if (pid == 0) {
        ::dup2(in[0], STDIN_FILENO);
        ::dup2(out[1], STDOUT_FILENO);
        ::dup2(err[1], STDERR_FILENO);
        for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]})
            ::close(fd);
        ::execve(argv[0], argv.data(), envp.data());
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

ProcessResult run_process(const std::vector<std::string>& args, const std::string& input,
                          const EnvironmentVariables& env) {
    Subprocess process(args, input, env);
    return process.finish();
}

Subprocess::Subprocess(const std::vector<std::string>& args, const std::string& input,
                       const EnvironmentVariables& env) {
    int in = -1;
    m_pid = spawn(args, env, &in, &m_out, &m_err);
    if (m_pid < 0) {
        m_out_open = m_err_open = false;
        m_finished = true;  // exit_code stays -1
        return;
    }
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
    // A closed pipe is left out of the poll (a negative fd is ignored), so that end of file is
    // read once rather than reported again and again.
    pollfd fds[2] = {{m_out_open ? m_out : -1, POLLIN, 0}, {m_err_open ? m_err : -1, POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) <= 0)
        return;
    char buffer[4096];
    for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP)))
            continue;
        ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n > 0)
            (i == 0 ? m_result.out : m_result.err).append(buffer, size_t(n));
        else if (n == 0)
            (i == 0 ? m_out_open : m_err_open) = false;
    }
}

std::string Subprocess::wait_for_output(const std::function<bool(const std::string& out)>& done) {
    while (m_out_open && !done(m_result.out))
        pump(-1);
    return m_result.out;
}

std::string Subprocess::wait_for_error(const std::function<bool(const std::string& err)>& done) {
    while (m_err_open && !done(m_result.err))
        pump(-1);
    return m_result.err;
}

void Subprocess::signal(int signal_number) { ::kill(m_pid, signal_number); }

ProcessResult Subprocess::finish() {
    if (m_finished)
        return m_result;
    // Read both pipes to their end first: a child blocked on a full pipe would never exit.
    while (m_out_open || m_err_open)
        pump(-1);
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_result.exit_code = decode_status(status);
    ::close(m_out);
    ::close(m_err);
    m_finished = true;
    return m_result;
}

}  // namespace os1::test
