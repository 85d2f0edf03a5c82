// `os1 serve`: the companion over HTTP for everyone with an account (or, with none, for this
// machine's user on loopback): the web app, the companion API and the OpenAI-compatible API.
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <pthread.h>

#include <CLI/CLI.hpp>

#include "accounts/accounts.h"
#include "cli/commands.h"
#include "cli/companion-setup.h"
#include "cli/model-setup.h"
#include "cli/speech-options.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"
#include "companion/host.h"
#include "core/paths.h"
#include "server/server.h"

namespace os1::cli {

namespace fs = std::filesystem;

namespace {

struct ServeOptions {
    BackendOptions backend;
    std::string host = "127.0.0.1";
    int port = 8080;
    CompanionSetup companion;
    size_t workers = 4;
    size_t max_connections = 4096;
    int grace_seconds = 30;
    llm::SamplingParams sampling;
    size_t voice_sessions = 4;
    SpeechOptions speech;
};

// The id that /v1/models gives the loaded model: the file's name without .gguf, the installed
// name, or the remote server's id.
std::string model_id_for(const BackendOptions& options, const llm::BackendInfo& info) {
    if (options.backend == "openai" || options.model.empty()) {
        std::string id;
        for (char c : info.model)
            id += c == ' ' ? '-' : char(std::tolower(static_cast<unsigned char>(c)));
        return id.empty() ? "model" : id;
    }
    const fs::path path(options.model);
    return path.extension() == ".gguf" ? path.stem().string() : options.model;
}

// Blocks SIGINT and SIGTERM in this thread and every thread started after it, so that sigwait()
// alone receives them.
sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signals;
}

int run_serve(ServeOptions& options, const GlobalOptions& global) {
    const sigset_t stop_signals = block_stop_signals();
    llm::set_llama_logging(llama_log_sink(global.verbose));
    const fs::path home = resolve_data_home(global.home);
    Environment env = terminal_environment();

    auto accounts = accounts::AccountStore::open(home, env);
    if (accounts.is_error()) {
        std::fprintf(stderr, "os1 serve: %s\n", terminal_text(accounts.error().message).c_str());
        return 1;
    }
    auto user_count = [&] {
        auto count = accounts.value()->user_count();
        return count ? *count : 0;
    };
    // Refuse a public address without accounts before spending time on the model.
    if (!server::is_loopback_address(options.host) && user_count() == 0) {
        std::fprintf(stderr,
                     "os1 serve: listening on %s would let anyone on the network talk to your companion: add an "
                     "account first (`os1 user add NAME`), or listen on 127.0.0.1\n",
                     options.host.c_str());
        return 1;
    }
    auto backend = open_backend(options.backend, home, Interaction::Script);
    if (backend.is_error()) {
        std::fprintf(stderr, "os1 serve: %s\n", terminal_text(backend.error().message).c_str());
        return 1;
    }
    auto host_options = host_options_for(options.companion, home, options.sampling, global.verbose);
    if (host_options.is_error()) {
        std::fprintf(stderr, "os1 serve: %s\n", terminal_text(host_options.error().message).c_str());
        return 1;
    }
    // Loaded once, before the first voice session: whisper's weights are shared by all of them.
    voice::RecognizerFactory recognizers;
    if (options.voice_sessions > 0) {
        auto prepared = [&]() -> ErrorOr<voice::RecognizerFactory> {
            return voice::RecognizerFactory::prepare(OS1_TRY(recognizer_settings(options.speech, home)));
        }();
        if (prepared.is_error()) {
            std::fprintf(stderr, "os1 serve: %s\n", terminal_text(prepared.error().message).c_str());
            return 1;
        }
        recognizers = prepared.release_value();
    }
    companion::CompanionHost host(*backend.value(), host_options.release_value());

    server::ServerOptions server_options;
    server_options.http.host = options.host;
    server_options.http.port = uint16_t(options.port);
    server_options.http.workers = options.workers;
    server_options.http.max_connections = options.max_connections;
    server_options.model_id = model_id_for(options.backend, backend.value()->info());
    server_options.sampling = options.sampling;
    server_options.voice.max_sessions = options.voice_sessions;
    server_options.voice.recognizers = std::move(recognizers);
    auto server = server::CompanionServer::start(host, *backend.value(), *accounts.value(), server_options, env);
    if (server.is_error()) {
        std::fprintf(stderr, "os1 serve: %s\n", terminal_text(server.error().message).c_str());
        return 1;
    }
    std::fprintf(stderr, "listening on %s\n", server.value()->url().c_str());
    if (user_count() == 0)
        std::fprintf(stderr, "no accounts yet: this machine's user is signed in as \"%s\"; add accounts with "
                             "`os1 user add NAME`\n",
                     server::k_local_user);
    std::fflush(stderr);

    int signal = 0;
    sigwait(&stop_signals, &signal);
    std::fprintf(stderr, "stopping: no new requests; replies in flight may finish (up to %d s)\n",
                 options.grace_seconds);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.grace_seconds);
    server.value()->shutdown(std::chrono::seconds(options.grace_seconds));
    // Learning from the last exchanges gets what is left of the grace. Every reply is stored by
    // now; learning writes in transactions, so leaving it unfinished loses no data, only what
    // the model would have drawn from those exchanges.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!host.drain_for(std::max(left, std::chrono::milliseconds(0)))) {
        std::fprintf(stderr, "stopped with %zu background learning jobs unfinished; every conversation is saved\n",
                     host.background_stats().pending);
        std::fflush(stderr);
        std::_Exit(0);  // without waiting for the jobs the host's destructor would drain
    }
    std::fprintf(stderr, "stopped\n");
    return 0;
}

}  // namespace

void register_serve(CLI::App& app, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<ServeOptions>();
    CLI::App* serve = app.add_subcommand(
        "serve",
        "Serve the companion over HTTP: a web app at /, the companion API at /api and an OpenAI-compatible API at "
        "/v1 (model \"os1\" is your companion). Each account has its own companion; with no accounts, only this "
        "machine may connect. Prints \"listening on http://HOST:PORT\" to stderr once it accepts requests; "
        "SIGTERM or Ctrl-C stops it gracefully.");
    serve->add_option("--host", options->host,
                      "Address to listen on; anything beyond loopback needs accounts (see `os1 user add`). For TLS, "
                      "put a reverse proxy in front that sets X-Forwarded-Proto")
        ->default_val("127.0.0.1");
    serve->add_option("--port", options->port, "Port to listen on; 0 picks a free one")
        ->default_val(8080)
        ->check(CLI::Range(0, 65535));
    add_backend_options(*serve, options->backend);
    options->backend.parallel = 4;
    serve->add_option("--parallel", options->backend.parallel,
                      "Conversations the engine decodes together (continuous batching)")
        ->default_val(4)
        ->check(CLI::Range(1, 256));
    serve
        ->add_option("--parked-cache", options->backend.parked_cache_mib,
                     "Host memory, in MiB, for the caches of conversations moved out of the engine to make room "
                     "for others, so that they come back without computing their prompts again; 0 turns it off")
        ->default_val(1024)
        ->check(CLI::Range(int64_t(0), int64_t(1) << 24));
    serve->add_option("--workers", options->workers, "Threads for request work (databases, sign-in)")
        ->default_val(4)
        ->check(CLI::Range(1, 64));
    serve->add_option("--max-connections", options->max_connections, "Open connections held at most")
        ->default_val(4096)
        ->check(CLI::Range(1, 1 << 20));
    serve->add_option("--grace", options->grace_seconds, "Seconds that replies in flight get to finish on SIGTERM")
        ->default_val(30)
        ->check(CLI::Range(0, 3600));
    serve->add_option("--voice-sessions", options->voice_sessions,
                      "Spoken conversations (the web app's microphone) held at once, one per user; each holds a "
                      "speech recogniser and a thread. 0 turns the voice off")
        ->default_val(4)
        ->check(CLI::Range(0, 64));
    add_speech_options(*serve, options->speech, "--stt-model-dir");
    add_companion_options(*serve, options->companion, SystemPromptOption::Omit);
    serve->add_option("--max-tokens", options->sampling.max_tokens, "Longest reply by default, in tokens")
        ->check(CLI::Range(1, 1 << 20));
    serve->add_option("--temperature", options->sampling.temperature, "Default sampling temperature; 0 is greedy")
        ->check(finite_range(0, 10));
    serve->callback([options, &global, &exit_code] { exit_code = run_serve(*options, global); });
}

}  // namespace os1::cli
