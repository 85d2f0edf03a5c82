#include "cli/password-input.h"

#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <optional>

#include "accounts/accounts.h"

namespace os1::cli {

namespace {

// The terminal's settings before echo was turned off, for the signal handler.
termios saved_terminal{};

// Ctrl-C at the prompt must not leave the shell without echo: restore it, then die of the
// signal as if it had not been caught.
extern "C" void restore_echo_and_reraise(int signal_number) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
}

// Turns the terminal's echo off (keeping the newline's) for as long as it lives.
class EchoOff {
public:
    EchoOff() {
        if (::tcgetattr(STDIN_FILENO, &saved_terminal) != 0)
            return;
        m_old_int = std::signal(SIGINT, restore_echo_and_reraise);
        m_old_term = std::signal(SIGTERM, restore_echo_and_reraise);
        termios quiet = saved_terminal;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        quiet.c_lflag |= ECHONL;
        m_active = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
    ~EchoOff() {
        if (m_active)
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
        if (m_old_int != SIG_ERR)
            std::signal(SIGINT, m_old_int);
        if (m_old_term != SIG_ERR)
            std::signal(SIGTERM, m_old_term);
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    bool m_active = false;
    void (*m_old_int)(int) = SIG_ERR;
    void (*m_old_term)(int) = SIG_ERR;
};

Error too_long() {
    return make_error(ErrorKind::InvalidInput,
                      "the password is too long (over " + std::to_string(accounts::max_password_bytes) +
                          " bytes); use at most " + std::to_string(accounts::max_password_bytes));
}

// One line of stdin, without its ending; nullopt at end of input before any byte. Keeps at most
// `limit` + 1 bytes (the one more tells that the line was too long) but reads on to the end of
// the line, so that the next line starts cleanly.
std::optional<std::string> read_line(size_t limit) {
    std::string line;
    bool any = false;
    for (int c = std::getchar(); c != EOF; c = std::getchar()) {
        any = true;
        if (c == '\n')
            break;
        if (line.size() <= limit)
            line += char(c);
    }
    if (!any)
        return std::nullopt;
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

ErrorOr<std::string> prompt_once(const char* prompt) {
    std::fputs(prompt, stderr);
    std::fflush(stderr);
    std::optional<std::string> line;
    {
        EchoOff quiet;
        line = read_line(accounts::max_password_bytes);
    }
    if (!line)
        return make_error(ErrorKind::InvalidInput, "no password was entered; nothing was changed");
    if (line->size() > accounts::max_password_bytes)
        return too_long();
    return *line;
}

}  // namespace

bool stdin_is_terminal() {
    return ::isatty(STDIN_FILENO) == 1;
}

ErrorOr<std::string> read_password_line() {
    std::optional<std::string> line = read_line(accounts::max_password_bytes);
    if (!line)
        return make_error(ErrorKind::InvalidInput, "stdin is empty; pipe the password in, followed by a newline");
    if (line->size() > accounts::max_password_bytes)
        return too_long();
    return *line;
}

ErrorOr<std::string> prompt_new_password(const std::string& user) {
    const std::string first_prompt = "New password for \"" + user + "\": ";
    std::string first = OS1_TRY(prompt_once(first_prompt.c_str()));
    OS1_TRY(accounts::check_password(first));
    std::string second = OS1_TRY(prompt_once("Again, to confirm: "));
    if (second != first)
        return make_error(ErrorKind::InvalidInput, "the two passwords differ; nothing was changed, try again");
    return first;
}

}  // namespace os1::cli
