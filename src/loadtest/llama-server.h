// llama.cpp's llama-server as a child process: the reference that `os1 bench serve` measures
// against, built from the same source. It is started on a port it picks itself (--port 0),
// which is read from its log line "listening on http://HOST:PORT", and it is ready once that
// line is out (llama-server prints it after loading the model) and /health answers 200.
// Stopped with SIGTERM, then SIGKILL if it does not exit within a few seconds.
//
// Not thread-safe, except log_tail().
#pragma once

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace os1::loadtest {

struct LlamaServerOptions {
    std::filesystem::path binary;
    std::filesystem::path model;
    int32_t parallel = 1;             // --parallel: slots decoded together
    int32_t context_per_slot = 2048;  // -c is parallel times this (the KV cache is split per slot)
    int32_t threads = 1;              // -t and -tb
    int32_t batch_size = 512;         // -b and -ub
    // -fa: "on", "off", or "auto" (llama-server's default: on wherever the backend supports it,
    // the CPU included).
    std::string flash_attention = "auto";
    std::chrono::seconds start_timeout{300};
};

// The command line that start() runs for `options`.
std::vector<std::string> llama_server_arguments(const LlamaServerOptions& options);

class LlamaServer {
public:
    static ErrorOr<std::unique_ptr<LlamaServer>> start(const LlamaServerOptions& options);
    // stop()
    ~LlamaServer();

    uint16_t port() const { return m_port; }
    pid_t pid() const { return m_pid; }
    // The command line it was started with, for the record.
    const std::vector<std::string>& arguments() const { return m_arguments; }
    // Its last lines of output, for error messages.
    std::string log_tail() const;
    // GET `path` on the server: the status and the body.
    ErrorOr<std::pair<int, std::string>> get(const std::string& path) const;
    // Requests it holds: being generated plus waiting for a slot (from /metrics).
    ErrorOr<int64_t> requests_held() const;
    void stop();

    LlamaServer(const LlamaServer&) = delete;
    LlamaServer& operator=(const LlamaServer&) = delete;

    struct Output;

private:
    LlamaServer() = default;

    pid_t m_pid = -1;
    uint16_t m_port = 0;
    std::vector<std::string> m_arguments;
    std::shared_ptr<Output> m_output;
};

}  // namespace os1::loadtest
