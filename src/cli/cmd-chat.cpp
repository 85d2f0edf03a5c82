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
#include "cli/companion-setup.h"
#include "cli/id-argument.h"
#include "cli/user-dir.h"
#include "cli/model-setup.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"
#include "core/paths.h"
#include "llm/llm.h"
#include "core/utf8.h"
#include "companion/host.h"
#include "persona/onboarding.h"

namespace os1::cli {

namespace fs = std::filesystem;

namespace {

struct ChatOptions {
    BackendOptions backend;
    CompanionSetup companion;
    std::string user = "default";
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

// Streams one turn to stdout (unless quiet) and returns its last event (Done or Failed);
// Ctrl-C cancels it, keeping what was already shown. Notices are collected for afterwards.
// Streams the reply to stdout when `print`. A model can be led (by a card, by a memory) to write
// control characters, so the text goes through terminal_text.
companion::TurnEvent stream_turn(companion::Turn& turn, bool print, std::vector<std::string>& notices) {
    TerminalTextStream shown;
    for (;;) {
        if (g_interrupted.exchange(false))
            turn.cancel();
        auto event = turn.next_for(std::chrono::milliseconds(50));
        if (!event)
            continue;
        switch (event->kind) {
        case companion::TurnEvent::Kind::Prepared:
        case companion::TurnEvent::Kind::Generated:  // not asked for: replies are stored as generated
            break;
        case companion::TurnEvent::Kind::Text:
            if (print) {
                std::fputs(shown.push(event->text).c_str(), stdout);
                std::fflush(stdout);
            }
            break;
        case companion::TurnEvent::Kind::Notice:
            notices.push_back(event->text);
            break;
        case companion::TurnEvent::Kind::Done:
        case companion::TurnEvent::Kind::Failed:
            if (print)
                std::fputs(shown.flush().c_str(), stdout);
            return *event;
        }
    }
}

void print_stats(const llm::ReplyStats& stats, const llm::BackendInfo& info) {
    // The model's name and chat template come from its file.
    std::printf("backend       %s (%s)\n", info.name.c_str(), terminal_text(info.model).c_str());
    std::printf("chat template %s\n", terminal_text(info.chat_template, Newlines::Keep).c_str());
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

std::string trim(std::string text) {
    const char* space = " \t\r\n";
    size_t begin = text.find_first_not_of(space);
    if (begin == std::string::npos)
        return {};
    size_t end = text.find_last_not_of(space);
    return text.substr(begin, end - begin + 1);
}

// Waits for what the companion is still learning from the conversation, saying so when it
// takes a moment.
void finish_learning(companion::CompanionHost& host, bool quiet) {
    if (!quiet && host.background_stats().pending > 0)
        std::fprintf(stderr, "(taking a moment to remember what we talked about…)\n");
    host.drain();
}

// One question, one answer, through the same pipeline as the interactive chat; prints the
// reply (or JSON) and exits once the learning from it is done.
int run_once(ChatOptions& options, companion::CompanionHost& host) {
    std::string text = options.once_text;
    if (text.empty())
        text.assign(std::istreambuf_iterator<char>(std::cin), {});
    if (!is_valid_utf8(text)) {
        std::fprintf(stderr, "os1 chat: the input is not valid UTF-8; convert it first (for example with iconv)\n");
        return 1;
    }
    text = trim(text);
    if (text.empty()) {
        std::fprintf(stderr, "os1 chat: the input is empty; pass the text with --once \"TEXT\" or on stdin\n");
        return 1;
    }
    companion::OpenOptions open;
    open.start = companion::Start::New;
    open.title = text.substr(0, 60);
    while (!open.title.empty() && !is_valid_utf8(open.title))
        open.title.pop_back();
    open.keep_cache = companion::KeepCache::No;
    auto conversation = host.open(options.user, open);
    if (conversation.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", terminal_text(conversation.error().message).c_str());
        return 1;
    }
    install_interrupt_handler();
    auto turn = conversation->say(text);
    if (turn.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", terminal_text(turn.error().message).c_str());
        return 1;
    }
    std::vector<std::string> notices;
    companion::TurnEvent end = stream_turn(turn.value(), !options.json, notices);
    if (end.kind == companion::TurnEvent::Kind::Failed) {
        std::fprintf(stderr, "os1 chat: %s\n", terminal_text(end.text).c_str());
        return 1;
    }
    const llm::ReplyStats& stats = end.stats;
    if (options.json) {
        nlohmann::json out = {{"reply", turn->delivered()},
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
    std::fflush(stdout);
    for (const std::string& notice : notices)
        std::fprintf(stderr, "(%s)\n", terminal_text(notice).c_str());
    finish_learning(host, options.json);
    if (end.interrupted) {
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
ErrorOr<void> run_onboarding(companion::Conversation& conversation, bool terminal) {
    persona::Onboarding onboarding;
    std::printf("Before we start, I'd like to get to know you a little.\n");
    while (!onboarding.question().empty()) {
        std::printf("%s\n", terminal_text(onboarding.question(), Newlines::Keep).c_str());
        std::optional<std::string> line = read_line(terminal);
        if (!line)
            return make_error("onboarding was interrupted; it starts again next time");
        if (auto answered = onboarding.answer(trim(*line)); answered.is_error())
            std::printf("(%s)\n", terminal_text(answered.error().message).c_str());
    }
    std::printf("Let me think of a name for myself…\n");
    persona::CompanionName name = OS1_TRY(conversation.finish_onboarding(std::move(onboarding)));
    std::printf("I'll be %s. %s\n", terminal_text(name.name).c_str(), terminal_text(name.reason).c_str());
    return {};
}

enum class CommandResult { Handled, Quit, NotACommand };

struct Session {
    companion::CompanionHost& host;
    companion::Conversation& conversation;
    llm::ReplyStats last_stats;
};

ErrorOr<CommandResult> handle_command(Session& session, const std::string& text) {
    if (!text.starts_with("/"))
        return CommandResult::NotACommand;
    const std::string command = text.substr(0, text.find(' '));
    const std::string argument = trim(text.substr(command.size()));
    companion::Conversation& conversation = session.conversation;
    if (command == "/quit" || command == "/exit")
        return CommandResult::Quit;
    if (command == "/help") {
        print_help();
    } else if (command == "/stats") {
        print_stats(session.last_stats, session.host.backend_info());
    } else if (command == "/mood") {
        std::printf("%s\n", terminal_text(conversation.mood_report(), Newlines::Keep).c_str());
    } else if (command == "/journal") {
        std::printf("%s", terminal_text(OS1_TRY(conversation.journal_report(3)), Newlines::Keep).c_str());
    } else if (command == "/why") {
        const std::vector<memory::Hit> recalled = conversation.last_recall();
        if (recalled.empty())
            std::printf("(no memories were recalled for the last reply)\n");
        for (const memory::Hit& hit : recalled)
            std::printf("#%lld %s (score %.2f)\n", (long long)hit.id, terminal_text(hit.text).c_str(), hit.score);
    } else if (command == "/remember") {
        if (argument.empty()) {
            std::printf("usage: /remember TEXT\n");
            return CommandResult::Handled;
        }
        int64_t id = OS1_TRY(conversation.remember(argument));
        std::printf("(remembered as #%lld)\n", (long long)id);
    } else if (command == "/forget") {
        const std::optional<int64_t> id = parse_id(argument);
        if (!id) {
            std::printf("usage: /forget ID (the ids are shown by /why and 'os1 memory list')\n");
            return CommandResult::Handled;
        }
        bool forgotten = OS1_TRY(conversation.forget(*id));
        std::printf(forgotten ? "(forgotten)\n" : "(there is no memory #%lld)\n", static_cast<long long>(*id));
    } else if (command == "/reset") {
        OS1_TRY(conversation.reset());
        std::printf("(started a new conversation)\n");
    } else {
        std::printf("unknown command %s; /help lists the commands\n", terminal_text(command).c_str());
    }
    return CommandResult::Handled;
}

// One exchange: the reply streams to the terminal, and is stored before the next prompt.
ErrorOr<void> exchange(Session& session, const std::string& text, bool terminal) {
    companion::Turn turn = OS1_TRY(session.conversation.say(text));
    if (terminal)
        std::printf("%s › ", terminal_text(session.conversation.companion_name()).c_str());
    std::fflush(stdout);
    std::vector<std::string> notices;
    companion::TurnEvent end = stream_turn(turn, true, notices);
    std::printf("\n");
    std::fflush(stdout);
    session.last_stats = end.stats;
    if (end.kind == companion::TurnEvent::Kind::Failed) {
        std::fprintf(stderr, "os1 chat: %s\n", terminal_text(end.text).c_str());
        return {};
    }
    if (end.interrupted)
        std::fprintf(stderr, "(stopped)\n");
    for (const std::string& notice : notices)
        std::fprintf(stderr, "(%s)\n", terminal_text(notice).c_str());
    return {};
}

int run_interactive(ChatOptions& options, companion::CompanionHost& host) {
    const bool terminal = ::isatty(STDIN_FILENO);
    auto fail = [](const Error& error) {
        std::fprintf(stderr, "os1 chat: %s\n", terminal_text(error.message).c_str());
        return 1;
    };
    companion::OpenOptions open;
    open.start = options.new_conversation ? companion::Start::New : companion::Start::Resume;
    auto conversation = host.open(options.user, open);
    if (conversation.is_error())
        return fail(conversation.error());
    install_interrupt_handler();
    if (terminal && conversation->needs_onboarding()) {
        if (auto onboarded = run_onboarding(conversation.value(), terminal); onboarded.is_error())
            return fail(onboarded.error());
    }

    auto history = conversation->history();
    if (history.is_error())
        return fail(history.error());
    if (!history->empty()) {
        std::fprintf(stderr, "Resuming our conversation (%zu earlier messages%s). /help lists commands.\n",
                     history->size(), conversation->restored_from_disk() ? ", context restored from disk" : "");
    } else {
        std::fprintf(stderr, "Hello, I'm %s! Type a message and press Enter. /help lists commands.\n",
                     terminal_text(conversation->companion_name()).c_str());
    }

    Session session{host, conversation.value()};
    for (;;) {
        std::optional<std::string> line = read_line(terminal);
        if (!line)
            break;
        std::string text = trim(*line);
        if (text.empty())
            continue;
        auto command = handle_command(session, text);
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
        if (auto exchanged = exchange(session, text, terminal); exchanged.is_error())
            return fail(exchanged.error());
    }
    finish_learning(host, false);
    return 0;
}

int run_chat(ChatOptions& options, const GlobalOptions& global) {
    llm::set_llama_logging(llama_log_sink(global.verbose));
    const fs::path home = resolve_data_home(global.home);
    if (auto checked = user_dir_for(global, options.user); checked.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", terminal_text(checked.error().message).c_str());
        return 1;
    }
    auto backend = open_backend(options.backend, home, options.once ? Interaction::Script : Interaction::Ask);
    if (backend.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", terminal_text(backend.error().message).c_str());
        return 1;
    }
    auto host_options = host_options_for(options.companion, home, options.sampling, global.verbose);
    if (host_options.is_error()) {
        std::fprintf(stderr, "os1 chat: %s\n", terminal_text(host_options.error().message).c_str());
        return 1;
    }
    companion::CompanionHost host(*backend.value(), host_options.release_value());
    if (options.once)
        return run_once(options, host);
    return run_interactive(options, host);
}

}  // namespace

void register_chat(CLI::App& app, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<ChatOptions>();
    CLI::App* chat = app.add_subcommand("chat", "Talk with the companion in the terminal (streaming, with history)");
    chat->footer("Inside a chat: /help, /reset, /stats, /mood, /journal, /remember, /forget, /why, /quit.\n"
                 "Ctrl-C stops the reply being written; what was shown is kept, marked as interrupted.\n"
                 "After each reply the companion learns from it with the model (facts, its own reading of your\n"
                 "message, the journal, and now and then a reflection); --once waits for that before exiting,\n"
                 "--no-learning skips it. A reflection that fails is tried again on a later turn.\n"
                 "Examples:\n"
                 "  os1 chat                              talk to the default installed model\n"
                 "  os1 chat --model ~/models/x.gguf      use a GGUF file\n"
                 "  os1 chat --once \"hi\" --json           one reply as JSON, for scripts\n"
                 "  os1 chat --backend openai --base-url http://127.0.0.1:8080/v1");
    add_backend_options(*chat, options->backend);
    options->backend.parallel = 2;  // the conversation, and background work such as fact extraction
    chat->add_option("--user", options->user, "Whose conversations to use (each user has their own store)")
        ->default_val("default");
    chat->add_flag("--new", options->new_conversation, "Start a new conversation instead of resuming the last one");
    add_companion_options(*chat, options->companion);
    CLI::Option* once = chat->add_option("--once", options->once_text,
                                         "Reply once to TEXT (or to stdin when TEXT is empty) and exit")
                            ->expected(0, 1);
    chat->add_flag("--json", options->json,
                   "With --once: print {\"reply\", \"tokens\", \"prefill_tokens\", \"ttft_ms\", \"gen_tps\"}");
    add_sampling_options(*chat, options->sampling, 512);
    chat->callback([options, once, &global, &exit_code] {
        options->once = once->count() > 0;
        if (options->json && !options->once)
            throw CLI::ValidationError("--json", "needs --once");
        check_reply_fits(options->sampling, options->backend);
        exit_code = run_chat(*options, global);
    });
}

}  // namespace os1::cli
