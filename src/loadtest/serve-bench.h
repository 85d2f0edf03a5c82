// The benchmark behind `os1 bench serve`: os1's server in this process (the companion path,
// model "os1", with recall, compose and store; learning off, so that it measures serving)
// against llama.cpp's llama-server as a child process, on the same model, prompts, threads and
// context per slot, at several numbers of concurrent users, repeated over several runs; then a
// crowd of open streaming connections waiting on queued replies, with the memory and threads
// each server holds meanwhile.
//
// Runs in a scratch data folder of its own, removed afterwards. Reports progress through
// `options.progress`; never prints.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "loadtest/idle-connections.h"
#include "loadtest/load-driver.h"
#include "loadtest/process-status.h"

namespace os1::loadtest {

struct ServeBenchOptions {
    std::filesystem::path model;
    std::filesystem::path llama_server;  // empty: measure os1 alone
    // Also measure os1 serving the model itself (its own id: no persona, memory or mood; the
    // prompts llama-server gets), which tells the engine and transport apart from the companion.
    bool plain = false;
    // llama-server with the attention os1's engine uses (flash attention only with GPU layers),
    // like with like; false: llama-server's own default (flash attention on, the CPU included).
    bool reference_same_attention = true;
    // Time each user's first contact too: no warm-up request before the timed ones, so both
    // servers start with empty caches. os1 computes the persona once and copies it to every
    // conversation; llama-server computes it in each slot. The companion's loading of each user
    // is timed as well.
    bool cold = false;
    // Conversations each server generates at once (os1's engine sequences, llama-server's
    // --parallel); 0: one per user. Fewer than the users makes both servers evict and bring back
    // conversations' caches.
    int32_t slots = 0;
    std::vector<int32_t> users = {1, 4, 8, 16, 64};
    int32_t requests_per_user = 3;
    int32_t max_tokens = 32;
    int32_t runs = 3;
    int32_t context_per_slot = 2048;
    int32_t threads = 0;  // 0: every core
    uint32_t seed = 1;
    int32_t idle_connections = 1000;  // 0: skip that part
    int32_t idle_parallel = 8;        // conversations generating while the crowd waits
    int32_t idle_max_tokens = 1024;
    // The system message every simulated client sends to both servers; empty: the persona of a
    // fresh companion, so that llama-server is given the persona os1's companion reads (os1
    // ignores a client's system messages).
    std::string system_prompt;
    std::filesystem::path work_dir;  // scratch; empty: a fresh folder under the system's temp dir
    LogSink progress;                // Info lines on what runs now
};

// One concurrency level of one run.
struct LevelResult {
    int32_t users = 0;
    LoadResult os1;
    std::optional<LoadResult> plain;      // os1 serving the model's own id, when asked
    std::optional<LoadResult> reference;  // llama-server
};

struct RunResult {
    std::vector<LevelResult> levels;
    // The machine's 1-minute load average when the run began and ended (/proc/loadavg): other
    // work on the machine slows both servers, and the ratio only partly cancels it.
    double load_before = 0, load_after = 0;
};

// One server holding the crowd of idle connections.
struct IdleResult {
    int32_t connections = 0;
    int32_t parallel = 0;
    bool all_queued = false;  // every request reached the engine (os1) or the server's queue
    int64_t held = 0;         // requests the server held at the measurement
    double open_seconds = 0;  // to get every request held
    IdleCounts client;        // what the client saw at the measurement
    ProcessStatus before;     // the server, serving nothing
    ProcessStatus open;       // with the crowd connected
    ProcessStatus after;      // once the crowd hung up and a request went through
    bool recovered = false;   // a request after the crowd was answered in full
    double recovery_ms = 0;   // that request, from its first try to the end of its stream
    int32_t recovery_busy_answers = 0;  // 503s ("try again shortly") before it was taken
    std::string recovery_error;
};

struct ServeBenchReport {
    int32_t threads = 0;
    std::vector<RunResult> runs;
    std::optional<IdleResult> idle_os1;
    std::optional<IdleResult> idle_reference;
    // The reference command line at the 8-user level (or the first level), for the record.
    std::vector<std::string> reference_command;
    // What the os1 process counts besides the server itself during the idle phase: the client
    // thread holding the crowd, and the process's main thread.
    int32_t client_threads = 1;
};

ErrorOr<ServeBenchReport> run_serve_bench(const ServeBenchOptions& options);

}  // namespace os1::loadtest
