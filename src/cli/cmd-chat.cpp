// `os1 chat`: talk to the companion in the terminal, or get one reply for a script (--once).
#include <atomic>
#include <clocale>
#include <langinfo.h>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <iterator>
#include <unistd.h>

#include <editline/readline.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model-setup.h"
#include "core/paths.h"
#include "llm/llm.h"
#include "llm/utf8.h"
#include "memory/conversation-store.h"

namespace os1::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* default_system_prompt =
    "You are os1, a companion who lives on this computer. You are warm, curious and witty, and you have views of "
    "your own: you say what you think, kindly, and you never flatter. You keep replies short unless asked for more.";

struct ChatOptions {
    BackendOptions backend;
    std::string user = "default";
    std::string system_prompt = default_system_prompt;
    bool once = false;
    std::string once_text;
    bool json = false;
    bool new_conversation = false;
    llm::SamplingParams sampling;
};

std::atomic<bool> g_interrupted{false};

void on_sigint(int) { g_interrupted = true; }

// SIGINT stops the current reply instead of the program; installed without SA_RESTART so a
// blocking read returns and notices it.
void install_interrupt_handler() {
    struct sigaction action {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
}

int64_t unix_now() { return int64_t(std::time(nullptr)); }

// Streams one reply to stdout (unless quiet); Ctrl-C cancels it.
ErrorOr<std::string> stream_reply(const std::shared_ptr<llm::Reply>& reply, bool print, llm::ReplyStats& stats) {
    std::string text;
    for (;;) {
        if (g_interrupted.exchange(false))
            reply->cancel();
        auto event = reply->next_for(std::chrono::milliseconds(50));
        if (!event)
            continue;
        switch (event->kind) {
        case llm::ReplyEvent::Kind::Text:
            text += event->text;
            if (print) {
                std::fwrite(event->text.data(), 1, event->text.size(), stdout);
                std::fflush(stdout);
            }
            break;
        case llm::ReplyEvent::Kind::Done:
            stats = event->stats;
            return text;
        case llm::ReplyEvent::Kind::Failed:
            stats = event->stats;
            return make_error(event->text);
        }
    }
}

void print_stats(const llm::ReplyStats& stats, const llm::BackendInfo& info) {
    std::printf("backend       %s (%s)\n", info.name.c_str(), info.model.c_str());
    std::printf("chat template %s\n", info.chat_template.c_str());
    std::printf("context       %d tokens per conversation\n", info.context_size);
    std::printf("last reply    %d prompt tokens (%d reused from cache, %d prefilled), %d generated\n",
                stats.prompt_tokens, stats.reused_tokens, stats.prefill_tokens, stats.generated_tokens);
    std::printf("              first token after %.0f ms, %.1f tokens/s, stopped: %s\n", stats.ttft_ms, stats.gen_tps,
                llm::to_string(stats.stop_reason));
}

void print_help() {
    std::printf("/help   show this help\n"
                "/reset  forget this conversation and start a new one\n"
                "/stats  show the model and the last reply's statistics\n"
                "/quit   leave (Ctrl-D too); Ctrl-C stops a reply that is being written\n");
}

std::vector<llm::Message> to_messages(const std::string& system_prompt, const std::vector<memory::Turn>& turns) {
    std::vector<llm::Message> messages{{"system", system_prompt}};
    for (const memory::Turn& turn : turns)
        messages.push_back({turn.role, turn.content});
    return messages;
}

ErrorOr<std::string> read_stdin() {
    std::string text(std::istreambuf_iterator<char>(std::cin), {});
    return text;
}

std::string trim(std::string text) {
    const char* space = " \t\r\n";
    size_t begin = text.find_first_not_of(space);
    if (begin == std::string::npos)
        return {};
    size_t end = text.find_last_not_of(space);
    return text.substr(begin, end - begin + 1);
}

// One question, one answer; prints the reply (or JSON) and exits.
int run_once(ChatOptions& options, llm::Backend& backend, memory::ConversationStore& store) {
    std::string text = options.once_text;
    if (text.empty())
        text = read_stdin().release_value();
    if (!llm::is_valid_utf8(text)) {
        std::fprintf(stderr, "os1 chat: the input is not valid UTF-8; convert it first (for example with iconv)\n");
        return 1;
    }
    text = trim(text);
    if (text.empty()) {
        std::fprintf(stderr, "os1 chat: the input is empty; pass the text with --once \"TEXT\" or on stdin\n");
        return 1;
    }
    auto conversation = store.create_conversation(text.substr(0, 60), unix_now());
    if (conversation.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", conversation.error().message.c_str());
        return 1;
    }
    if (auto stored = store.append_turn(conversation.value(), "user", text, unix_now()); stored.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", stored.error().message.c_str());
        return 1;
    }
    install_interrupt_handler();
    llm::ChatRequest request{"once", {{"system", options.system_prompt}, {"user", text}}, options.sampling};
    llm::ReplyStats stats;
    auto reply = stream_reply(backend.submit(std::move(request)), !options.json, stats);
    if (reply.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", reply.error().message.c_str());
        return 1;
    }
    if (auto stored = store.append_turn(conversation.value(), "assistant", reply.value(), unix_now());
        stored.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", stored.error().message.c_str());
        return 1;
    }
    if (options.json) {
        nlohmann::json out = {{"reply", reply.value()},
                              {"tokens", stats.generated_tokens},
                              {"prompt_tokens", stats.prompt_tokens},
                              {"prefill_tokens", stats.prefill_tokens},
                              {"ttft_ms", stats.ttft_ms},
                              {"gen_tps", stats.gen_tps},
                              {"stop_reason", llm::to_string(stats.stop_reason)}};
        std::printf("%s\n", out.dump().c_str());
    } else {
        std::printf("\n");
    }
    if (stats.stop_reason == llm::StopReason::Cancelled) {
        std::fprintf(stderr, "os1 chat: stopped by Ctrl-C\n");
        return 130;
    }
    return 0;
}

// Reads a line with editing and history when stdin is a terminal; nullopt at end of input.
std::optional<std::string> read_line(bool terminal) {
    if (!terminal) {
        std::string line;
        if (!std::getline(std::cin, line))
            return std::nullopt;
        return line;
    }
    // libedit decodes the prompt and input as multibyte text, which needs the user's locale.
    static const bool locale_set = std::setlocale(LC_CTYPE, "") != nullptr;
    const bool utf8_prompt = locale_set && std::string_view(nl_langinfo(CODESET)) == "UTF-8";
    for (;;) {
        char* raw = readline(utf8_prompt ? "you › " : "you > ");
        if (!raw) {
            if (g_interrupted.exchange(false)) {
                std::printf("\n(type /quit or press Ctrl-D to leave)\n");
                continue;
            }
            return std::nullopt;
        }
        std::string line(raw);
        std::free(raw);
        if (!trim(line).empty())
            add_history(line.c_str());
        return line;
    }
}

int run_interactive(ChatOptions& options, llm::Backend& backend, memory::ConversationStore& store,
                    const fs::path& user_dir) {
    const bool terminal = ::isatty(STDIN_FILENO);
    auto fail = [](const Error& error) {
        std::fprintf(stderr, "os1 chat: %s\n", error.message.c_str());
        return 1;
    };

    int64_t conversation_id = 0;
    if (!options.new_conversation) {
        auto latest = store.latest_conversation();
        if (latest.is_error())
            return fail(latest.error());
        if (latest.value())
            conversation_id = latest.value()->id;
    }
    if (conversation_id == 0) {
        auto created = store.create_conversation("", unix_now());
        if (created.is_error())
            return fail(created.error());
        conversation_id = created.value();
    }
    auto turns = store.turns(conversation_id);
    if (turns.is_error())
        return fail(turns.error());
    const std::string conversation_key = "conversation-" + std::to_string(conversation_id);
    const fs::path kv_file = user_dir / "kv" / (conversation_key + ".kv");
    if (!turns.value().empty()) {
        auto restored = backend.restore_conversation(conversation_key, kv_file);
        std::fprintf(stderr, "Resuming our conversation (%zu earlier messages%s). /help lists commands.\n",
                     turns.value().size(),
                     restored && restored.value() ? ", context restored from disk" : "");
    } else {
        std::fprintf(stderr, "Hello! Type a message and press Enter. /help lists commands.\n");
    }

    install_interrupt_handler();
    llm::ReplyStats last_stats;
    for (;;) {
        std::optional<std::string> line = read_line(terminal);
        if (!line)
            break;
        std::string text = trim(*line);
        if (text.empty())
            continue;
        if (text == "/quit" || text == "/exit")
            break;
        if (text == "/help") {
            print_help();
            continue;
        }
        if (text == "/stats") {
            print_stats(last_stats, backend.info());
            continue;
        }
        if (text == "/reset") {
            backend.forget_conversation(conversation_key);
            std::error_code ignored;
            fs::remove(kv_file, ignored);
            auto created = store.create_conversation("", unix_now());
            if (created.is_error())
                return fail(created.error());
            conversation_id = created.value();
            turns.value().clear();
            std::printf("(started a new conversation)\n");
            continue;
        }
        if (text.starts_with("/")) {
            std::printf("unknown command %s; /help lists the commands\n", text.c_str());
            continue;
        }
        if (!llm::is_valid_utf8(text)) {
            std::fprintf(stderr, "os1 chat: that line is not valid UTF-8; it was not sent\n");
            continue;
        }

        auto stored = store.append_turn(conversation_id, "user", text, unix_now());
        if (stored.is_error())
            return fail(stored.error());
        turns.value().push_back({stored.value(), conversation_id, "user", text, unix_now()});

        llm::ChatRequest request{conversation_key, to_messages(options.system_prompt, turns.value()),
                                 options.sampling};
        if (terminal)
            std::printf("os1 › ");
        std::fflush(stdout);
        auto reply = stream_reply(backend.submit(std::move(request)), true, last_stats);
        std::printf("\n");
        if (reply.is_error()) {
            std::fprintf(stderr, "os1 chat: %s\n", reply.error().message.c_str());
            continue;
        }
        if (last_stats.stop_reason == llm::StopReason::Cancelled)
            std::fprintf(stderr, "(stopped)\n");
        if (last_stats.dropped_messages > 0)
            std::fprintf(stderr,
                         "(our conversation outgrew the context: the oldest %d messages no longer fit and were left "
                         "out of what I see now; they are still saved)\n",
                         last_stats.dropped_messages);
        if (last_stats.stop_reason == llm::StopReason::ContextFull)
            std::fprintf(stderr, "(the reply was cut short: the context is full)\n");
        auto saved = store.append_turn(conversation_id, "assistant", reply.value(), unix_now());
        if (saved.is_error())
            return fail(saved.error());
        turns.value().push_back({saved.value(), conversation_id, "assistant", reply.value(), unix_now()});
    }

    if (backend.info().name == "local" && !turns.value().empty()) {
        std::error_code ec;
        fs::create_directories(kv_file.parent_path(), ec);
        if (auto saved = backend.save_conversation(conversation_key, kv_file); saved.is_error())
            std::fprintf(stderr, "os1 chat: could not keep the context for next time: %s\n",
                         saved.error().message.c_str());
    }
    return 0;
}

int run_chat(ChatOptions& options, const GlobalOptions& global) {
    llm::set_llama_logging(global.verbose);
    const fs::path home = resolve_data_home(global.home);
    const fs::path user_dir = home / "users" / options.user;
    if (auto writable = ensure_writable_dir(user_dir); writable.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", writable.error().message.c_str());
        return 1;
    }
    auto store = memory::ConversationStore::open(user_dir);
    if (store.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", store.error().message.c_str());
        return 1;
    }
    auto backend = open_backend(options.backend, home, options.once ? Interaction::Script : Interaction::Ask);
    if (backend.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", backend.error().message.c_str());
        return 1;
    }
    if (options.once)
        return run_once(options, *backend.value(), store.value());
    return run_interactive(options, *backend.value(), store.value(), user_dir);
}

}  // namespace

void register_chat(CLI::App& app, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<ChatOptions>();
    CLI::App* chat = app.add_subcommand("chat", "Talk with the companion in the terminal (streaming, with history)");
    chat->footer("Inside a chat: /help, /reset, /stats, /quit. Ctrl-C stops the reply being written.\n"
                 "Examples:\n"
                 "  os1 chat                              talk to the default installed model\n"
                 "  os1 chat --model ~/models/x.gguf      use a GGUF file\n"
                 "  os1 chat --once \"hi\" --json           one reply as JSON, for scripts\n"
                 "  os1 chat --backend openai --base-url http://127.0.0.1:8080/v1");
    add_backend_options(*chat, options->backend);
    chat->add_option("--user", options->user, "Whose conversations to use (each user has their own store)")
        ->default_val("default");
    chat->add_option("--system", options->system_prompt, "System prompt (default: os1's own persona)");
    chat->add_flag("--new", options->new_conversation, "Start a new conversation instead of resuming the last one");
    CLI::Option* once = chat->add_option("--once", options->once_text,
                                         "Reply once to TEXT (or to stdin when TEXT is empty) and exit")
                            ->expected(0, 1);
    chat->add_flag("--json", options->json,
                   "With --once: print {\"reply\", \"tokens\", \"prefill_tokens\", \"ttft_ms\", \"gen_tps\"}");
    chat->add_option("--seed", options->sampling.seed, "Sampling seed (default: random)");
    chat->add_option("--max-tokens", options->sampling.max_tokens, "Longest reply, in tokens")->default_val(512);
    chat->add_option("--temperature", options->sampling.temperature, "Sampling temperature; 0 is greedy")
        ->default_val(0.7);
    chat->add_option("--top-p", options->sampling.top_p, "Nucleus sampling threshold")->default_val(0.95);
    chat->add_option("--min-p", options->sampling.min_p, "Minimum probability relative to the top token")
        ->default_val(0.05);
    chat->add_option("--repeat-penalty", options->sampling.repeat_penalty, "Penalty for repeating recent tokens")
        ->default_val(1.1);
    chat->callback([options, once, &global, &exit_code] {
        options->once = once->count() > 0;
        if (options->json && !options->once)
            throw CLI::ValidationError("--json", "needs --once");
        exit_code = run_chat(*options, global);
    });
}

}  // namespace os1::cli
