// `os1 chat`: talk to the companion in the terminal, or get one reply for a script (--once).
#include <atomic>
#include <clocale>
#include <langinfo.h>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <iterator>
#include <unistd.h>

#include <editline/readline.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/user-dir.h"
#include "cli/model-setup.h"
#include "core/paths.h"
#include "llm/llm.h"
#include "core/utf8.h"
#include "companion/companion.h"
#include "memory/conversation-store.h"
#include "persona/onboarding.h"

namespace os1::cli {

namespace fs = std::filesystem;

namespace {

struct ChatOptions {
    BackendOptions backend;
    std::string user = "default";
    std::string system_prompt;  // empty: the persona card's
    bool once = false;
    std::string once_text;
    bool json = false;
    bool new_conversation = false;
    llm::SamplingParams sampling;
    std::string embedding_model;  // empty: recall by words only
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
    std::printf("/help           show this help\n"
                "/reset          start a new conversation (memories stay)\n"
                "/stats          show the model and the last reply's statistics\n"
                "/mood           how I feel, and why\n"
                "/journal        my journal: what I learned about you and about myself\n"
                "/remember TEXT  remember TEXT about you\n"
                "/forget ID      forget memory ID (/why shows the ids)\n"
                "/why            which memories shaped my last reply\n"
                "/quit           leave (Ctrl-D too); Ctrl-C stops a reply that is being written\n");
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
int run_once(ChatOptions& options, llm::Backend& backend, memory::ConversationStore& store,
             companion::Companion& companion) {
    std::string text = options.once_text;
    if (text.empty())
        text = read_stdin().release_value();
    if (!is_valid_utf8(text)) {
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
    if (auto observed = companion.observe_user(text); observed.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", observed.error().message.c_str());
        return 1;
    }
    auto messages = companion.compose({{0, conversation.value(), "user", text, unix_now()}});
    if (messages.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", messages.error().message.c_str());
        return 1;
    }
    llm::ChatRequest request{"once", messages.release_value(), companion.adjust(options.sampling)};
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
    companion.after_reply(nullptr);  // into long-term memory; no extraction in a one-shot process
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

// First run: a short interview, after which the companion chooses its own name.
ErrorOr<void> run_onboarding(companion::Companion& companion, llm::Backend& backend, bool terminal) {
    persona::Onboarding onboarding;
    std::printf("Before we start, I'd like to get to know you a little.\n");
    while (!onboarding.question().empty()) {
        std::printf("%s\n", onboarding.question().c_str());
        std::optional<std::string> line = read_line(terminal);
        if (!line)
            return make_error("onboarding was interrupted; it starts again next time");
        if (auto answered = onboarding.answer(trim(*line)); answered.is_error())
            std::printf("(%s)\n", answered.error().message.c_str());
    }
    std::printf("Let me think of a name for myself…\n");
    persona::CompanionName name = OS1_TRY(companion.finish_onboarding(std::move(onboarding), &backend));
    std::printf("I'll be %s. %s\n", name.name.c_str(), name.reason.c_str());
    return {};
}

enum class CommandResult { Handled, Quit, NotACommand };

struct Session {
    llm::Backend& backend;
    memory::ConversationStore& store;
    companion::Companion& companion;
    int64_t conversation_id = 0;
    std::string conversation_key;
    fs::path kv_file;
    std::vector<memory::Turn> turns;
    llm::ReplyStats last_stats;
};

ErrorOr<void> switch_conversation(Session& session, int64_t conversation_id, const fs::path& user_dir) {
    session.conversation_id = conversation_id;
    session.conversation_key = "conversation-" + std::to_string(conversation_id);
    session.kv_file = user_dir / "kv" / (session.conversation_key + ".kv");
    session.turns = OS1_TRY(session.store.turns(conversation_id));
    return {};
}

ErrorOr<CommandResult> handle_command(Session& session, const std::string& text, const fs::path& user_dir) {
    if (!text.starts_with("/"))
        return CommandResult::NotACommand;
    const std::string command = text.substr(0, text.find(' '));
    const std::string argument = trim(text.substr(command.size()));
    if (command == "/quit" || command == "/exit")
        return CommandResult::Quit;
    if (command == "/help") {
        print_help();
    } else if (command == "/stats") {
        print_stats(session.last_stats, session.backend.info());
    } else if (command == "/mood") {
        std::printf("%s\n", session.companion.mood_report().c_str());
    } else if (command == "/journal") {
        std::printf("%s", OS1_TRY(session.companion.journal_report(3)).c_str());
    } else if (command == "/why") {
        if (session.companion.last_recall().empty())
            std::printf("(no memories were recalled for the last reply)\n");
        for (const memory::Hit& hit : session.companion.last_recall())
            std::printf("#%lld %s (score %.2f)\n", (long long)hit.id, hit.text.c_str(), hit.score);
    } else if (command == "/remember") {
        if (argument.empty()) {
            std::printf("usage: /remember TEXT\n");
            return CommandResult::Handled;
        }
        int64_t id = OS1_TRY(session.companion.remember(argument));
        std::printf("(remembered as #%lld)\n", (long long)id);
    } else if (command == "/forget") {
        char* end = nullptr;
        long long id = std::strtoll(argument.c_str(), &end, 10);
        if (argument.empty() || *end != '\0') {
            std::printf("usage: /forget ID (the ids are shown by /why and 'os1 memory list')\n");
            return CommandResult::Handled;
        }
        bool forgotten = OS1_TRY(session.companion.forget(id));
        std::printf(forgotten ? "(forgotten)\n" : "(there is no memory #%lld)\n", id);
    } else if (command == "/reset") {
        session.backend.forget_conversation(session.conversation_key);
        std::error_code ignored;
        fs::remove(session.kv_file, ignored);
        OS1_TRY(switch_conversation(session, OS1_TRY(session.store.create_conversation("", unix_now())), user_dir));
        std::printf("(started a new conversation)\n");
    } else {
        std::printf("unknown command %s; /help lists the commands\n", command.c_str());
    }
    return CommandResult::Handled;
}

// One exchange: store the user's turn, reply, store the reply.
ErrorOr<void> exchange(Session& session, ChatOptions& options, const std::string& text, bool terminal) {
    int64_t user_turn = OS1_TRY(session.store.append_turn(session.conversation_id, "user", text, unix_now()));
    session.turns.push_back({user_turn, session.conversation_id, "user", text, unix_now()});
    OS1_TRY(session.companion.observe_user(text));
    auto messages = OS1_TRY(session.companion.compose(session.turns));

    llm::ChatRequest request{session.conversation_key, std::move(messages), session.companion.adjust(options.sampling)};
    if (terminal)
        std::printf("%s › ", session.companion.name().c_str());
    std::fflush(stdout);
    auto reply = stream_reply(session.backend.submit(std::move(request)), true, session.last_stats);
    if (reply.is_error()) {
        std::printf("\n");
        std::fprintf(stderr, "os1 chat: %s\n", reply.error().message.c_str());
        return {};
    }
    // The reply is committed before the line ends: once the user sees the next prompt, the
    // turn survives a crash or kill -9.
    int64_t reply_turn =
        OS1_TRY(session.store.append_turn(session.conversation_id, "assistant", reply.value(), unix_now()));
    session.turns.push_back({reply_turn, session.conversation_id, "assistant", reply.value(), unix_now()});
    std::printf("\n");
    std::fflush(stdout);
    const llm::ReplyStats& stats = session.last_stats;
    if (stats.stop_reason == llm::StopReason::Cancelled)
        std::fprintf(stderr, "(stopped)\n");
    if (stats.dropped_messages > 0)
        std::fprintf(stderr,
                     "(our conversation outgrew the context: the oldest %d messages no longer fit and were left out of "
                     "what I see now; they are still saved)\n",
                     stats.dropped_messages);
    if (stats.stop_reason == llm::StopReason::ContextFull)
        std::fprintf(stderr, "(the reply was cut short: the context is full)\n");
    session.companion.after_reply(&session.backend);
    return {};
}

int run_interactive(ChatOptions& options, llm::Backend& backend, memory::ConversationStore& store,
                    companion::Companion& companion, const fs::path& user_dir) {
    const bool terminal = ::isatty(STDIN_FILENO);
    auto fail = [](const Error& error) {
        std::fprintf(stderr, "os1 chat: %s\n", error.message.c_str());
        return 1;
    };
    install_interrupt_handler();
    if (terminal && companion.needs_onboarding()) {
        if (auto onboarded = run_onboarding(companion, backend, terminal); onboarded.is_error())
            return fail(onboarded.error());
    }

    Session session{backend, store, companion};
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
    if (auto switched = switch_conversation(session, conversation_id, user_dir); switched.is_error())
        return fail(switched.error());
    if (!session.turns.empty()) {
        auto restored = backend.restore_conversation(session.conversation_key, session.kv_file);
        std::fprintf(stderr, "Resuming our conversation (%zu earlier messages%s). /help lists commands.\n",
                     session.turns.size(), restored && restored.value() ? ", context restored from disk" : "");
    } else {
        std::fprintf(stderr, "Hello, I'm %s! Type a message and press Enter. /help lists commands.\n",
                     companion.name().c_str());
    }

    for (;;) {
        std::optional<std::string> line = read_line(terminal);
        if (!line)
            break;
        std::string text = trim(*line);
        if (text.empty())
            continue;
        auto command = handle_command(session, text, user_dir);
        if (command.is_error())
            return fail(command.error());
        if (command.value() == CommandResult::Quit)
            break;
        if (command.value() == CommandResult::Handled)
            continue;
        if (!is_valid_utf8(text)) {
            std::fprintf(stderr, "os1 chat: that line is not valid UTF-8; it was not sent\n");
            continue;
        }
        if (auto exchanged = exchange(session, options, text, terminal); exchanged.is_error())
            return fail(exchanged.error());
    }

    if (backend.info().name == "local" && !session.turns.empty()) {
        std::error_code ec;
        fs::create_directories(session.kv_file.parent_path(), ec);
        if (auto saved = backend.save_conversation(session.conversation_key, session.kv_file); saved.is_error())
            std::fprintf(stderr, "os1 chat: could not keep the context for next time: %s\n",
                         saved.error().message.c_str());
    }
    return 0;
}

int run_chat(ChatOptions& options, const GlobalOptions& global) {
    llm::set_llama_logging(global.verbose);
    const fs::path home = resolve_data_home(global.home);
    auto checked_user_dir = user_dir_for(global, options.user);
    if (checked_user_dir.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", checked_user_dir.error().message.c_str());
        return 1;
    }
    const fs::path user_dir = checked_user_dir.release_value();
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
    companion::CompanionOptions companion_options;
    companion_options.system_prompt = options.system_prompt;
    if (!options.embedding_model.empty()) {
        auto embedder = llm::open_embedder({options.embedding_model});
        if (embedder.is_error()) {
            std::fprintf(stderr, "os1 chat: --embedding-model: %s\n", embedder.error().message.c_str());
            return 1;
        }
        companion_options.embedder = embedder.release_value();
    }
    auto companion = companion::Companion::open(user_dir, companion_options);
    if (companion.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", companion.error().message.c_str());
        return 1;
    }
    if (options.once)
        return run_once(options, *backend.value(), store.value(), *companion.value());
    return run_interactive(options, *backend.value(), store.value(), *companion.value(), user_dir);
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
    options->backend.parallel = 2;  // the conversation, and background work such as fact extraction
    chat->add_option("--user", options->user, "Whose conversations to use (each user has their own store)")
        ->default_val("default");
    chat->add_option("--system", options->system_prompt, "System prompt (default: the persona card's, see os1 persona)");
    chat->add_flag("--new", options->new_conversation, "Start a new conversation instead of resuming the last one");
    chat->add_option("--embedding-model", options->embedding_model,
                     "GGUF embedding model for recall by meaning as well as words (new memories get vectors; "
                     "older ones after os1 memory embed)");
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
