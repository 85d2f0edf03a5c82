// `os1 talk`: a spoken conversation with the companion, live through the microphone and
// speaker, or simulated from recordings (--input) for scripts, tests and benchmarks. A thin
// adapter: the voice pipeline (voice::DuplexSession) hears and speaks, the companion
// (companion::VoiceReplySource over the same Conversation as `os1 chat`) answers.
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/companion-setup.h"
#include "cli/json-error.h"
#include "cli/model-setup.h"
#include "cli/speech-options.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"
#include "cli/user-dir.h"
#include "companion/host.h"
#include "companion/voice-reply.h"
#include "core/paths.h"
#include "voice/audio-device.h"
#include "voice/dialogue-simulation.h"
#include "voice/energy-detector.h"
#include "voice/flite-synthesizer.h"
#include "voice/turn-json.h"
#include "voice/wav-file.h"

namespace os1::cli {

namespace fs = std::filesystem;

namespace {

struct TalkOptions {
    BackendOptions backend;
    CompanionSetup companion;
    std::string user = "default";
    bool new_conversation = false;
    llm::SamplingParams sampling;
    std::vector<std::string> inputs;  // FILE or FILE@MS
    int gap_ms = 800;
    std::string output;
    bool json = false;
    double echo_gain = 0.0;
    int echo_delay_ms = 20;
    SpeechOptions speech;
};

std::atomic<bool> g_stop{false};

void on_sigint(int) { g_stop = true; }

// "answer.wav@1500": the recording, and when it starts into the reply before it.
ErrorOr<voice::SimulatedInput> parse_input(const std::string& argument, std::chrono::milliseconds gap) {
    std::string path = argument;
    std::optional<std::chrono::milliseconds> into_reply;
    if (const size_t at = argument.rfind('@'); at != std::string::npos && at + 1 < argument.size()) {
        int64_t ms = 0;
        const char* begin = argument.data() + at + 1;
        const char* end = argument.data() + argument.size();
        if (auto [last, error] = std::from_chars(begin, end, ms); error == std::errc{} && last == end) {
            if (ms < 0 || ms > 3'600'000)
                return make_error(ErrorKind::InvalidInput, "--input " + argument + ": the time after @ must be 0 to 3600000 ms");
            path = argument.substr(0, at);
            into_reply = std::chrono::milliseconds(ms);
        }
    }
    voice::SimulatedInput input;
    input.clip = OS1_TRY(voice::read_wav(path));
    input.into_reply = into_reply;
    input.gap = gap;
    return input;
}

// The transcript as it happens, for a person watching.
void show_event(const voice::DuplexEvent& event, const std::string& companion_name) {
    switch (event.kind) {
    case voice::DuplexEvent::Kind::StateChanged:
        std::fprintf(stderr, "(%s)\n", voice::to_string(event.state));
        break;
    case voice::DuplexEvent::Kind::Transcript:
        std::printf("you › %s\n", terminal_text(event.text).c_str());
        break;
    case voice::DuplexEvent::Kind::ReplyText:
    case voice::DuplexEvent::Kind::PlaybackCleared:
        break;
    case voice::DuplexEvent::Kind::TurnEnded:
        std::printf("%s › %s%s\n", terminal_text(companion_name).c_str(), terminal_text(event.turn.spoken).c_str(),
                    event.turn.interrupted ? " —(interrupted)" : "");
        break;
    case voice::DuplexEvent::Kind::Error:
        std::fprintf(stderr, "os1 talk: %s\n", terminal_text(event.text).c_str());
        break;
    }
    std::fflush(stdout);
}

struct VoiceParts {
    std::unique_ptr<voice::SpeechSynthesizer> synthesizer;
    std::unique_ptr<voice::SpeechRecognizer> recognizer;
};

ErrorOr<VoiceParts> open_voice(const TalkOptions& options, const fs::path& home) {
    VoiceParts parts;
    const voice::RecognizerSettings settings = OS1_TRY(recognizer_settings(options.speech, home));
    parts.recognizer = OS1_TRY(OS1_TRY(voice::RecognizerFactory::prepare(settings)).open());
    parts.synthesizer = OS1_TRY(voice::FliteSynthesizer::create());
    return parts;
}

int simulate(const TalkOptions& options, const std::vector<voice::SimulatedInput>& inputs,
             companion::Conversation& conversation, VoiceParts parts) {
    auto fail = [&](const Error& error) {
        std::fprintf(stderr, "os1 talk: %s\n", terminal_text(error.message).c_str());
        if (options.json)
            print_json_error(error.message);
        return 1;
    };
    companion::VoiceReplySource replies(conversation);
    voice::DuplexSession session(std::make_unique<voice::EnergyDetector>(), std::move(parts.recognizer),
                                 *parts.synthesizer, replies);
    voice::SimulationSettings settings;
    settings.echo_gain = options.echo_gain;
    settings.echo_delay = std::chrono::milliseconds(options.echo_delay_ms);
    const std::string name = conversation.companion_name();
    auto simulated = voice::simulate_dialogue(session, inputs, settings, [&](const voice::DuplexEvent& event) {
        if (!options.json && event.kind != voice::DuplexEvent::Kind::StateChanged)
            show_event(event, name);
    });
    if (simulated.is_error())
        return fail(simulated.error());
    if (!options.output.empty()) {
        if (auto written = voice::write_wav(options.output, simulated->companion); written.is_error())
            return fail(written.error());
    }
    if (options.json) {
        nlohmann::json out;
        if (inputs.size() == 1) {
            // One recording, one turn (or, for silence, none: empty strings).
            out = voice::turn_json(simulated->turns.empty() ? voice::TurnSummary{} : simulated->turns.front());
        } else {
            out = {{"turns", nlohmann::json::array()}};
            for (const voice::TurnSummary& turn : simulated->turns)
                out["turns"].push_back(voice::turn_json(turn));
        }
        if (!simulated->errors.empty())
            out["errors"] = simulated->errors;
        std::printf("%s\n", out.dump().c_str());
    } else if (simulated->turns.empty()) {
        std::fprintf(stderr, "(no speech was heard, so there was no turn)\n");
    }
    return simulated->errors.empty() ? 0 : 1;
}

int live(companion::Conversation& conversation, VoiceParts parts) {
    auto device = voice::AudioDevice::open();
    if (device.is_error()) {
        std::fprintf(stderr,
                     "os1 talk: %s.\n"
                     "No microphone and speaker to talk with; `os1 chat` talks by text, and `os1 talk --input "
                     "FILE.wav` speaks from a recording.\n",
                     terminal_text(device.error().message).c_str());
        return 1;
    }
    companion::VoiceReplySource replies(conversation);
    voice::DuplexSession session(std::make_unique<voice::EnergyDetector>(), std::move(parts.recognizer),
                                 *parts.synthesizer, replies);
    const std::string name = conversation.companion_name();
    std::fprintf(stderr, "Talking with %s through %s. Speak whenever you like; Ctrl-C ends.\n",
                 terminal_text(name).c_str(), terminal_text((*device)->description()).c_str());
    std::signal(SIGINT, on_sigint);
    while (!g_stop) {
        auto frame = (*device)->read_frame(std::chrono::milliseconds(500));
        if (frame.is_error()) {
            std::fprintf(stderr, "os1 talk: %s; what was said so far is kept.\n",
                         terminal_text(frame.error().message).c_str());
            return 1;
        }
        if (!frame->has_value())
            continue;
        // The speaker's queue is the listener's buffer: what it still holds was not heard.
        session.listener_heard((*device)->played_samples());
        const auto played = session.tick(voice::Frame(**frame));
        (*device)->play(played);
        for (const voice::DuplexEvent& event : session.take_events()) {
            if (event.kind == voice::DuplexEvent::Kind::PlaybackCleared)
                (*device)->clear_playback();
            show_event(event, name);
        }
    }
    std::fprintf(stderr, "\n");
    return 0;
}

int run_talk(TalkOptions& options, const GlobalOptions& global) {
    auto fail = [&](const std::string& message) {
        std::fprintf(stderr, "os1 talk: %s\n", terminal_text(message).c_str());
        if (options.json)
            print_json_error(message);
        return 1;
    };
    llm::set_llama_logging(llama_log_sink(global.verbose));
    const fs::path home = resolve_data_home(global.home);
    if (auto checked = user_dir_for(global, options.user); checked.is_error())
        return fail(checked.error().message);
    // The recordings and the voice first: a bad file or a missing speech model is found before
    // the chat model loads.
    std::vector<voice::SimulatedInput> inputs;
    for (const std::string& argument : options.inputs) {
        auto input = parse_input(argument, std::chrono::milliseconds(options.gap_ms));
        if (input.is_error())
            return fail(input.error().message);
        inputs.push_back(input.release_value());
    }
    auto parts = open_voice(options, home);
    if (parts.is_error())
        return fail(parts.error().message);
    auto backend = open_backend(options.backend, home, options.inputs.empty() ? Interaction::Ask : Interaction::Script);
    if (backend.is_error())
        return fail(backend.error().message);
    auto host_options = host_options_for(options.companion, home, options.sampling, global.verbose);
    if (host_options.is_error())
        return fail(host_options.error().message);
    companion::CompanionHost host(*backend.value(), host_options.release_value());
    companion::OpenOptions open;
    open.start = options.new_conversation ? companion::Start::New : companion::Start::Resume;
    auto conversation = host.open(options.user, open);
    if (conversation.is_error())
        return fail(conversation.error().message);
    const int code = options.inputs.empty() ? live(*conversation, parts.release_value())
                                            : simulate(options, inputs, *conversation, parts.release_value());
    host.drain();
    return code;
}

}  // namespace

void register_talk(CLI::App& app, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<TalkOptions>();
    CLI::App* talk = app.add_subcommand("talk", "Talk with the companion by voice (microphone and speaker, or recordings)");
    talk->footer(
        "Live: speak whenever you like; the companion answers aloud and stops as soon as you talk over it\n"
        "(a cough or a short \"mm-hmm\" does not stop it). It remembers only what it actually said aloud.\n"
        "Speech recognition is pocketsphinx (Debian's pocketsphinx-en-us), or whisper.cpp once a model is\n"
        "installed (os1 pull whisper-base.en); the voice is flite's cmu_us_slt; all run offline. The\n"
        "voice's rate, pitch and volume follow the companion's mood.\n"
        "With --input, the recordings are the user's side of a simulated conversation: the first starts at\n"
        "once, each next one --gap ms after the reply before it, or FILE@MS: MS into that reply (to interrupt\n"
        "it). Time stands still while the model thinks, so what is said and cut is the same on any machine.\n"
        "--json prints {\"transcript\", \"reply\", \"spoken\", \"interrupted\", \"timings\": {\"endpoint_ms\",\n"
        "\"stt_final_ms\", \"first_token_ms\", \"first_audio_ms\"}} for one input, {\"turns\": [...]} for several.\n"
        "Examples:\n"
        "  os1 talk                                         a live conversation\n"
        "  os1 talk --input hello.wav --output reply.wav    answer a recording, write the spoken reply\n"
        "  os1 talk --input q.wav --input stop.wav@1500 --json   interrupt the reply 1.5 s in");
    add_backend_options(*talk, options->backend);
    options->backend.parallel = 2;  // the conversation, and background learning
    talk->add_option("--user", options->user, "Whose companion to talk with (each user has their own store)")
        ->default_val("default");
    talk->add_flag("--new", options->new_conversation, "Start a new conversation instead of resuming the last one");
    add_companion_options(*talk, options->companion);
    talk->add_option("--input", options->inputs,
                     "A recording (WAV: any rate, channels and sample format) of the user's side; repeat for a "
                     "conversation; FILE@MS starts it MS into the reply before it")
        ->type_name("FILE[@MS]");
    talk->add_option("--gap", options->gap_ms, "With --input: ms between a reply's end and the next recording")
        ->default_val(800)
        ->check(CLI::Range(0, 600'000));
    talk->add_option("--output", options->output, "With --input: write the companion's side (16 kHz mono WAV)");
    talk->add_flag("--json", options->json, "With --input: print the turns as JSON (see below)");
    talk->add_option("--echo", options->echo_gain,
                     "With --input: mix the companion's voice back into the microphone at this gain, as a "
                     "speaker heard by the mic is (it must never interrupt itself)")
        ->default_val(0.0)
        ->check(finite_range(0, 2));
    talk->add_option("--echo-delay", options->echo_delay_ms, "With --echo: the echo's delay in ms")
        ->default_val(20)
        ->check(CLI::Range(0, 500));
    add_speech_options(*talk, options->speech, "--stt-model-dir");
    add_sampling_options(*talk, options->sampling, 256);
    talk->callback([options, &global, &exit_code] {
        if (options->inputs.empty() && (options->json || !options->output.empty() || options->echo_gain > 0))
            throw CLI::ValidationError("--json, --output and --echo", "need --input");
        check_reply_fits(options->sampling, options->backend);
        exit_code = run_talk(*options, global);
    });
}

}  // namespace os1::cli
