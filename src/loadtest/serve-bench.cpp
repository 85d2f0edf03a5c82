#include "loadtest/serve-bench.h"

#include <unistd.h>
#include <fstream>
#include <random>
#include <thread>

#include "accounts/accounts.h"
#include "companion/host.h"
#include "loadtest/counting-backend.h"
#include "loadtest/llama-server.h"
#include "server/server.h"

namespace os1::loadtest {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// The user the idle crowd's requests are spread over.
constexpr int32_t k_idle_users = 16;

void note(const ServeBenchOptions& options, const std::string& text) {
    if (options.progress)
        options.progress(LogLevel::Info, text);
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// A password nobody will ever type: the accounts exist only for their tokens.
std::string random_password() {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::random_device random;
    std::string out;
    for (int i = 0; i < 32; ++i)
        out += alphabet[random() % (sizeof alphabet - 1)];
    return out;
}

llm::LocalEngineOptions os1_engine_options(const ServeBenchOptions& options, int32_t threads, int32_t conversations) {
    llm::LocalEngineOptions engine;
    engine.model_path = options.model;
    engine.context_size = options.context_per_slot;
    // The engine keeps one slot for background and one-off work, which no conversation owns.
    engine.parallel = conversations + 1;
    engine.threads = threads;
    return engine;
}

// os1 serve in this process, as `os1 serve --parallel N --no-learning` runs it.
struct Os1Server {
    std::unique_ptr<llm::Backend> engine;
    std::unique_ptr<CountingBackend> counting;
    std::unique_ptr<companion::CompanionHost> host;
    std::unique_ptr<server::CompanionServer> server;

    ~Os1Server() {
        if (server)
            server->shutdown(std::chrono::seconds(5));
        server.reset();
        host.reset();
        counting.reset();
        engine.reset();
    }
};

ErrorOr<std::unique_ptr<Os1Server>> start_os1(const ServeBenchOptions& options, int32_t threads,
                                              accounts::AccountStore& accounts, const fs::path& home,
                                              int32_t conversations, const Environment& env) {
    // Each level starts from empty companions, so that no level recalls another's turns.
    std::error_code ec;
    fs::remove_all(home / "users", ec);
    auto out = std::make_unique<Os1Server>();
    out->engine = OS1_TRY(llm::open_local_engine(os1_engine_options(options, threads, conversations)));
    out->counting = std::make_unique<CountingBackend>(*out->engine);

    companion::HostOptions host;
    host.home = home;
    host.environment = env;
    host.companion.learn = false;
    out->host = std::make_unique<companion::CompanionHost>(*out->counting, std::move(host));

    server::ServerOptions serve;
    serve.http.host = "127.0.0.1";
    serve.http.port = 0;
    serve.model_id = options.model.stem().string();
    // The load is a deliberate flood from a few accounts: the per-user limits stay out of it.
    serve.limits.requests_per_second = 1e6;
    serve.limits.request_burst = 1e6;
    serve.limits.tokens_per_second = 1e9;
    serve.limits.token_burst = 1e9;
    out->server = OS1_TRY(server::CompanionServer::start(*out->host, *out->counting, accounts, serve, env));
    return out;
}

LlamaServerOptions reference_options(const ServeBenchOptions& options, int32_t threads, int32_t parallel) {
    LlamaServerOptions out;
    out.binary = options.llama_server;
    out.model = options.model;
    out.parallel = parallel;
    out.context_per_slot = options.context_per_slot;
    out.threads = threads;
    if (options.reference_same_attention)
        out.flash_attention = llm::uses_flash_attention(os1_engine_options(options, threads, parallel)) ? "on" : "off";
    return out;
}

LoadOptions load_options(const ServeBenchOptions& options, uint16_t port, std::string model,
                         std::vector<std::string> bearers) {
    LoadOptions load;
    load.port = port;
    load.model = std::move(model);
    load.bearers = std::move(bearers);
    load.turns = options.requests_per_user;
    load.max_tokens = options.max_tokens;
    load.seed = options.seed;
    load.system_prompt = options.system_prompt;
    load.warm_up = !options.cold;
    return load;
}

// How many conversations each server generates at once for `users` users.
int32_t slots_for(const ServeBenchOptions& options, int32_t users) {
    return options.slots > 0 ? options.slots : users;
}

// os1 at one level: the companion, and then the plain model on the same server when asked.
ErrorOr<void> measure_os1(const ServeBenchOptions& options, int32_t threads, accounts::AccountStore& accounts,
                          const fs::path& home, const std::vector<std::string>& tokens, const Environment& env,
                          LevelResult& level) {
    auto os1 = OS1_TRY(start_os1(options, threads, accounts, home, slots_for(options, level.users), env));
    std::vector<std::string> bearers(tokens.begin(), tokens.begin() + level.users);
    level.os1 = OS1_TRY(run_load(load_options(options, os1->server->port(), "os1", bearers)));
    if (options.plain)
        level.plain =
            OS1_TRY(run_load(load_options(options, os1->server->port(), options.model.stem().string(), bearers)));
    return {};
}

ErrorOr<LoadResult> measure_reference(const ServeBenchOptions& options, int32_t threads, int32_t users) {
    auto reference = OS1_TRY(LlamaServer::start(reference_options(options, threads, slots_for(options, users))));
    return run_load(load_options(options, reference->port(), options.model.stem().string(),
                                 std::vector<std::string>(size_t(users))));
}

// One request after the crowd hung up: the server must answer it in full. While it is still
// working through the hang-ups it may answer 503 ("try again shortly"); the request is then
// tried again, as a client would, for up to a minute, and the time counts from the first try.
void check_recovery(const ServeBenchOptions& options, uint16_t port, const std::string& model,
                    const std::string& bearer, IdleResult& out) {
    LoadOptions load = load_options(options, port, model, {bearer});
    load.turns = 1;
    load.warm_up = false;
    load.request_timeout = std::chrono::minutes(2);
    const Clock::time_point start = Clock::now();
    const Clock::time_point give_up = start + std::chrono::minutes(1);
    for (;;) {
        auto result = run_load(load);
        if (result.is_error()) {
            out.recovery_error = result.error().message;
            return;
        }
        const bool busy = result->failures > 0 && result->first_failure.starts_with("HTTP 503");
        if (busy && Clock::now() < give_up) {
            ++out.recovery_busy_answers;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            continue;
        }
        out.recovery_ms = seconds_since(start) * 1000;
        out.recovered = result->failures == 0 && result->completion_tokens > 0;
        if (result->failures > 0)
            out.recovery_error = result->first_failure;
        else if (result->completion_tokens == 0)
            out.recovery_error = "the reply after the crowd was empty";
        return;
    }
}

// Waits until `held()` reaches the crowd's size, or the deadline; returns the last count.
int64_t wait_until_held(const std::function<int64_t()>& held, int64_t wanted, Clock::time_point deadline) {
    int64_t now = held();
    while (now < wanted && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        now = held();
    }
    return now;
}

// Long replies, within what a slot holds besides the prompt.
int32_t idle_max_tokens(const ServeBenchOptions& options) {
    return std::min(options.idle_max_tokens, options.context_per_slot / 2);
}

std::chrono::milliseconds crowd_deadline(int32_t connections) {
    return std::chrono::milliseconds(60000 + int64_t(connections) * 100);
}

ErrorOr<IdleResult> idle_os1(const ServeBenchOptions& options, int32_t threads, accounts::AccountStore& accounts,
                             const fs::path& home, const std::vector<std::string>& tokens, const Environment& env) {
    IdleResult out;
    out.connections = options.idle_connections;
    out.parallel = options.idle_parallel;
    auto os1 = OS1_TRY(start_os1(options, threads, accounts, home, options.idle_parallel, env));
    std::vector<std::string> bearers(tokens.begin(), tokens.begin() + std::min<size_t>(k_idle_users, tokens.size()));
    // Load each user's companion first, as a server that has been running would have.
    LoadOptions warm = load_options(options, os1->server->port(), "os1", bearers);
    warm.turns = 0;
    OS1_TRY(run_load(warm));
    out.before = OS1_TRY(process_status());

    IdleOptions crowd_options;
    crowd_options.port = os1->server->port();
    crowd_options.model = "os1";
    crowd_options.bearers = bearers;
    crowd_options.connections = options.idle_connections;
    crowd_options.max_tokens = idle_max_tokens(options);
    const int64_t base = os1->counting->submitted();
    const Clock::time_point start = Clock::now();
    auto crowd = OS1_TRY(IdleConnections::open(crowd_options));
    out.held = wait_until_held([&] { return os1->counting->submitted() - base; }, options.idle_connections,
                               start + crowd_deadline(options.idle_connections));
    out.open_seconds = seconds_since(start);
    out.all_queued = out.held >= options.idle_connections;
    out.client = crowd->counts();
    out.open = OS1_TRY(process_status());
    crowd->close();
    check_recovery(options, os1->server->port(), "os1", bearers.front(), out);
    out.after = OS1_TRY(process_status());
    return out;
}

ErrorOr<IdleResult> idle_reference(const ServeBenchOptions& options, int32_t threads) {
    IdleResult out;
    out.connections = options.idle_connections;
    out.parallel = options.idle_parallel;
    auto reference = OS1_TRY(LlamaServer::start(reference_options(options, threads, options.idle_parallel)));
    out.before = OS1_TRY(process_status(reference->pid()));
    IdleOptions crowd_options;
    crowd_options.port = reference->port();
    crowd_options.model = options.model.stem().string();
    crowd_options.connections = options.idle_connections;
    crowd_options.max_tokens = idle_max_tokens(options);
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline = start + crowd_deadline(options.idle_connections);
    auto crowd = OS1_TRY(IdleConnections::open(crowd_options));
    crowd->wait_until_open(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    // Every connection still open is held: generating, or waiting for a slot.
    for (;;) {
        auto held = reference->requests_held();
        out.held = held ? held.value() : 0;
        out.client = crowd->counts();
        if (out.held >= out.client.open || Clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    out.open_seconds = seconds_since(start);
    out.all_queued = out.held >= options.idle_connections;
    out.open = OS1_TRY(process_status(reference->pid()));
    crowd->close();
    check_recovery(options, reference->port(), options.model.stem().string(), "", out);
    out.after = OS1_TRY(process_status(reference->pid()));
    return out;
}

// The 1-minute load average; 0 when /proc/loadavg cannot be read.
double load_average() {
    std::ifstream in("/proc/loadavg");
    double load = 0;
    in >> load;
    return load;
}

// A scratch folder, removed with everything in it when the benchmark ends.
struct Scratch {
    fs::path path;
    bool owned = false;
    ~Scratch() {
        std::error_code ec;
        if (owned)
            fs::remove_all(path, ec);
    }
};

}  // namespace

ErrorOr<ServeBenchReport> run_serve_bench(const ServeBenchOptions& asked) {
    ServeBenchOptions options = asked;
    if (options.users.empty() || options.runs < 1 || options.requests_per_user < 1)
        return make_error(ErrorKind::InvalidInput, "nothing to measure: give at least one level, run and request");
    ServeBenchReport report;
    report.threads = options.threads > 0 ? options.threads : int32_t(std::max(1u, std::thread::hardware_concurrency()));
    const bool with_reference = !options.llama_server.empty();

    Scratch scratch;
    scratch.path = options.work_dir.empty()
                       ? fs::temp_directory_path() / ("os1-bench-serve-" + std::to_string(::getpid()))
                       : options.work_dir;
    scratch.owned = options.work_dir.empty();
    std::error_code ec;
    fs::remove_all(scratch.path / "home", ec);
    fs::create_directories(scratch.path / "home", ec);
    if (ec)
        return make_error(scratch.path.string() + ": cannot create the scratch folder: " + ec.message());
    const fs::path home = scratch.path / "home";
    Environment env;
    env.log = options.progress;
    if (options.system_prompt.empty()) {
        fs::create_directories(scratch.path / "persona", ec);
        auto fresh = OS1_TRY(companion::Companion::open(scratch.path / "persona", {}, env));
        options.system_prompt = fresh->instructions();
    }

    if (options.idle_connections > 0)
        OS1_TRY(raise_open_files_limit(uint64_t(options.idle_connections) * 2 + 512));

    // One account with one token per simulated user; their companions start empty at each level.
    auto accounts = OS1_TRY(accounts::AccountStore::open(home, env));
    int32_t most_users = *std::max_element(options.users.begin(), options.users.end());
    if (options.idle_connections > 0)
        most_users = std::max(most_users, k_idle_users);
    note(options, "creating " + std::to_string(most_users) + " accounts ...");
    std::vector<std::string> tokens;
    for (int32_t i = 0; i < most_users; ++i) {
        const std::string name = "user" + std::to_string(i + 1);
        OS1_TRY(accounts->add_user(name, random_password()));
        tokens.push_back(OS1_TRY(accounts->create_token(name, "bench")).second);
    }

    for (int32_t run = 0; run < options.runs; ++run) {
        RunResult result;
        result.load_before = load_average();
        for (int32_t users : options.users) {
            LevelResult level;
            level.users = users;
            // Alternate which server goes first, so that a drift in the machine's speed over a
            // run does not favour either.
            const bool os1_first = (run % 2) == 0;
            for (int pass = 0; pass < 2; ++pass) {
                const bool os1_now = (pass == 0) == os1_first;
                if (os1_now) {
                    note(options, "run " + std::to_string(run + 1) + ": os1, " + std::to_string(users) + " users ...");
                    OS1_TRY(measure_os1(options, report.threads, *accounts, home, tokens, env, level));
                } else if (with_reference) {
                    note(options,
                         "run " + std::to_string(run + 1) + ": llama-server, " + std::to_string(users) + " users ...");
                    level.reference = OS1_TRY(measure_reference(options, report.threads, users));
                }
            }
            result.levels.push_back(std::move(level));
        }
        result.load_after = load_average();
        report.runs.push_back(std::move(result));
    }
    if (with_reference) {
        const bool has_eight = std::find(options.users.begin(), options.users.end(), 8) != options.users.end();
        report.reference_command = llama_server_arguments(
            reference_options(options, report.threads, slots_for(options, has_eight ? 8 : options.users.front())));
    }

    if (options.idle_connections > 0) {
        note(options, std::to_string(options.idle_connections) + " waiting connections on os1 ...");
        report.idle_os1 = OS1_TRY(idle_os1(options, report.threads, *accounts, home, tokens, env));
        if (with_reference) {
            note(options, std::to_string(options.idle_connections) + " waiting connections on llama-server ...");
            report.idle_reference = OS1_TRY(idle_reference(options, report.threads));
        }
    }
    return report;
}

}  // namespace os1::loadtest
