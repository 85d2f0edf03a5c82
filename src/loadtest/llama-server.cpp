#include "loadtest/llama-server.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <regex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

extern char** environ;

namespace os1::loadtest {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// The child's output, read line by line on a thread of its own.
struct LlamaServer::Output {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::string> tail;  // the last lines
    int port = 0;                  // from "listening on http://HOST:PORT"
    bool closed = false;           // the child closed its output (it exited)
    std::thread reader;

    void read_from(int fd) {
        static const std::regex listening(R"(listening on https?://\S+:(\d+))");
        std::string pending;
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            pending.append(buffer, size_t(n));
            size_t newline;
            while ((newline = pending.find('\n')) != std::string::npos) {
                std::string line = pending.substr(0, newline);
                pending.erase(0, newline + 1);
                std::smatch match;
                std::lock_guard lock(mutex);
                if (port == 0 && std::regex_search(line, match, listening))
                    port = std::atoi(match[1].str().c_str());
                tail.push_back(std::move(line));
                if (tail.size() > 40)
                    tail.pop_front();
                changed.notify_all();
            }
        }
        ::close(fd);
        std::lock_guard lock(mutex);
        closed = true;
        changed.notify_all();
    }
};

std::vector<std::string> llama_server_arguments(const LlamaServerOptions& options) {
    const std::string threads = std::to_string(options.threads);
    const std::string batch = std::to_string(options.batch_size);
    const std::pair<const char*, std::string> flags[] = {
        {"-m", options.model.string()},
        {"--host", "127.0.0.1"},
        {"--port", "0"},
        {"--parallel", std::to_string(options.parallel)},
        {"-c", std::to_string(int64_t(options.parallel) * options.context_per_slot)},
        {"-t", threads},
        {"-tb", threads},
        {"-b", batch},
        {"-ub", batch},
        {"-ngl", "0"},
        {"-fa", options.flash_attention},
    };
    std::vector<std::string> out = {options.binary.string()};
    for (const auto& [flag, value] : flags) {
        out.push_back(flag);
        out.push_back(value);
    }
    // Each slot its own part of the KV cache, as os1's engine has; no web page; /metrics for the
    // requests it holds.
    out.insert(out.end(), {"--no-kv-unified", "--no-webui", "--metrics"});
    return out;
}

ErrorOr<std::unique_ptr<LlamaServer>> LlamaServer::start(const LlamaServerOptions& options) {
    std::error_code exists_ec;
    if (!std::filesystem::exists(options.binary, exists_ec))
        return make_error(ErrorKind::NotFound, options.binary.string() +
                                                   " is missing: build it with scripts/build-llama.sh --tools (or "
                                                   "scripts/setup.sh --tests), or pass --llama-server PATH");
    std::unique_ptr<LlamaServer> server(new LlamaServer());
    server->m_arguments = llama_server_arguments(options);
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        return make_error("cannot make a pipe for llama-server's output");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    std::vector<char*> argv;
    for (std::string& argument : server->m_arguments)
        argv.push_back(argument.data());
    argv.push_back(nullptr);
    const int spawned = posix_spawn(&server->m_pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (spawned != 0) {
        ::close(pipe_fds[0]);
        server->m_pid = -1;
        return make_error("cannot start " + options.binary.string() + ": " + std::strerror(spawned));
    }
    server->m_output = std::make_shared<Output>();
    server->m_output->reader =
        std::thread([output = server->m_output.get(), fd = pipe_fds[0]] { output->read_from(fd); });

    {
        Output& out = *server->m_output;
        std::unique_lock lock(out.mutex);
        out.changed.wait_for(lock, options.start_timeout, [&] { return out.port != 0 || out.closed; });
        if (out.port == 0) {
            lock.unlock();
            const bool exited = server->m_output->closed;
            return make_error(ErrorKind::Unavailable, std::string("llama-server ") +
                                                          (exited ? "exited" : "did not start listening") +
                                                          " before serving; its last output:\n" + server->log_tail());
        }
        server->m_port = uint16_t(out.port);
    }
    const auto deadline = std::chrono::steady_clock::now() + options.start_timeout;
    for (;;) {
        auto health = server->get("/health");
        if (health && health->first == 200)
            break;
        if (std::chrono::steady_clock::now() >= deadline)
            return make_error(ErrorKind::Unavailable,
                              "llama-server's /health did not answer 200; its last output:\n" + server->log_tail());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return server;
}

LlamaServer::~LlamaServer() {
    stop();
}

std::string LlamaServer::log_tail() const {
    if (!m_output)
        return {};
    std::lock_guard lock(m_output->mutex);
    std::string out;
    for (const std::string& line : m_output->tail)
        out += line + "\n";
    return out;
}

ErrorOr<std::pair<int, std::string>> LlamaServer::get(const std::string& path) const {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    beast::error_code ec;
    stream.connect(net::ip::tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), m_port), ec);
    if (ec)
        return make_error(ErrorKind::Unavailable, "llama-server: cannot connect: " + ec.message());
    http::request<http::empty_body> request{http::verb::get, path, 11};
    request.set(http::field::host, "127.0.0.1:" + std::to_string(m_port));
    request.keep_alive(false);
    http::write(stream, request, ec);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    if (!ec)
        http::read(stream, buffer, response, ec);
    if (ec)
        return make_error(ErrorKind::Unavailable, "llama-server: GET " + path + " failed: " + ec.message());
    return std::pair<int, std::string>(int(response.result_int()), std::move(response.body()));
}

ErrorOr<int64_t> LlamaServer::requests_held() const {
    auto metrics = OS1_TRY(get("/metrics"));
    if (metrics.first != 200)
        return make_error("llama-server: /metrics answered " + std::to_string(metrics.first));
    int64_t held = 0;
    for (const char* name : {"llamacpp:requests_processing ", "llamacpp:requests_deferred "}) {
        const size_t at = metrics.second.find(std::string("\n") + name);
        if (at == std::string::npos)
            return make_error(std::string("llama-server: /metrics has no ") + name);
        held += int64_t(std::strtod(metrics.second.c_str() + at + 1 + std::strlen(name), nullptr));
    }
    return held;
}

void LlamaServer::stop() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGTERM);
        int status = 0;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (::waitpid(m_pid, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() >= deadline) {
                ::kill(m_pid, SIGKILL);
                ::waitpid(m_pid, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        m_pid = -1;
    }
    if (m_output && m_output->reader.joinable())
        m_output->reader.join();
}

}  // namespace os1::loadtest
