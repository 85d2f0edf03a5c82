// `os1 bench voice`: the time from the end of the user's speech to the companion's first audio,
// stage by stage, through the whole spoken pipeline (the energy detector and endpointer,
// pocketsphinx, the companion on a real model, flite), in simulated conversations; plus the
// real-time factors of recognition and synthesis and the peak memory. The user's side is spoken
// by flite at varied rates and pitches, with silence around each sentence.
//
// A generated test model's replies are gibberish: long unpunctuated runs full of symbols that
// flite spells out, so their first clause takes far longer to synthesise than a real reply's.
// The overhead is therefore also given with the first clause of everyday English replies in its
// place, cut by the same clause splitter and synthesised by the same voice.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model-setup.h"
#include "cli/scratch-folder.h"
#include "cli/speech-options.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"
#include "companion/host.h"
#include "companion/voice-reply.h"
#include "core/environment.h"
#include "core/paths.h"
#include "loadtest/latency-stats.h"
#include "voice/clause-splitter.h"
#include "voice/dialogue-simulation.h"
#include "voice/energy-detector.h"
#include "voice/flite-synthesizer.h"
#include "voice/recognizer-factory.h"

namespace os1::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

struct VoiceBenchArgs {
    BackendOptions backend;
    int32_t turns = 12;
    int32_t max_tokens = 48;
    uint32_t seed = 1;
    bool json = false;
    SpeechOptions speech;
};

// Everyday things a user says, each its own turn.
constexpr const char* k_user_sentences[] = {
    "good morning how did you sleep",
    "can you remind me to call my sister tonight",
    "i had a long day at work and i am tired",
    "what should i cook for dinner",
    "tell me something nice",
    "i think it is going to rain tomorrow",
    "do you remember what we talked about yesterday",
    "i finally finished the book you recommended",
    "my friend is coming over on saturday",
    "let us plan the weekend together",
    "i feel a bit nervous about the interview",
    "thank you for listening to me",
};

// How a companion's reply might begin, each cut to its first clause as speech would start.
constexpr const char* k_english_replies[] = {
    "Good morning! I slept well, thank you for asking. How about you?",
    "Of course, I will remind you tonight at seven.",
    "Oh, that sounds exhausting. Do you want to tell me about it?",
    "How about a warm bowl of pasta with whatever vegetables you have?",
    "You have the kindest way of noticing small things, and I love that about you.",
    "Really? I hope you have an umbrella somewhere near the door.",
    "Yes, we talked about your trip to the coast and the lighthouse.",
    "That makes me so happy! What did you think of the ending?",
    "That sounds lovely. Are you going to cook something together?",
    "I would like that. Shall we start with Saturday morning?",
    "It is completely natural to feel that way before something that matters.",
    "Always. I am glad you told me.",
};

double ms(std::chrono::milliseconds duration) { return static_cast<double>(duration.count()); }

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

ordered_json summary(const std::vector<double>& samples) {
    auto round1 = [](double x) { return double(int64_t(x * 10 + 0.5)) / 10; };
    return {{"p50", round1(loadtest::percentile(samples, 0.5))},
            {"p90", round1(loadtest::percentile(samples, 0.9))},
            {"max", round1(loadtest::percentile(samples, 1.0))}};
}

long peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

int run_voice_bench(VoiceBenchArgs& args, const GlobalOptions& global) {
    auto fail = [](const std::string& message) {
        std::fprintf(stderr, "os1 bench voice: %s\n", terminal_text(message).c_str());
        return 1;
    };
    llm::set_llama_logging(llama_log_sink(global.verbose));
    auto synthesizer = voice::FliteSynthesizer::create();
    if (synthesizer.is_error())
        return fail(synthesizer.error().message);

    // The user's side, and the synthesiser's real-time factor on it.
    std::vector<voice::SimulatedInput> inputs;
    double synthesis_seconds = 0, synthesized_seconds = 0;
    const voice::AudioClip lead{std::vector<voice::Sample>(voice::samples_for(std::chrono::milliseconds(500)))};
    for (int32_t i = 0; i < args.turns; ++i) {
        const char* sentence = k_user_sentences[i % std::size(k_user_sentences)];
        affect::ProsodyHints voice_of_user;
        voice_of_user.rate = 0.9 + 0.05 * (i % 5);
        voice_of_user.pitch_semitones = -2.0 + (i % 4);
        const auto start = Clock::now();
        auto spoken = (*synthesizer)->synthesize(sentence, voice_of_user);
        synthesis_seconds += seconds_since(start);
        if (spoken.is_error())
            return fail(spoken.error().message);
        synthesized_seconds += std::chrono::duration<double>(spoken->duration()).count();
        voice::SimulatedInput input;
        input.clip.samples = lead.samples;
        input.clip.samples.insert(input.clip.samples.end(), spoken->samples.begin(), spoken->samples.end());
        input.gap = std::chrono::milliseconds(500);
        inputs.push_back(std::move(input));
    }

    // The first clause of everyday replies, synthesised as the companion's voice starts: until
    // the first piece of its audio is there.
    std::vector<double> english_synthesis;
    for (const char* reply : k_english_replies) {
        voice::ClauseSplitter splitter;
        std::vector<std::string> clauses = splitter.push(reply);
        const std::string first = clauses.empty() ? splitter.finish() : clauses.front();
        const auto start = Clock::now();
        std::optional<double> first_piece_ms;
        auto spoken = (*synthesizer)->synthesize_streaming(first, affect::ProsodyHints{}, [&](auto) {
            if (!first_piece_ms)
                first_piece_ms = seconds_since(start) * 1000.0;
            return true;
        });
        if (spoken.is_error())
            return fail(spoken.error().message);
        english_synthesis.push_back(first_piece_ms.value_or(seconds_since(start) * 1000.0));
    }

    // The recogniser's real-time factor, decoding each utterance whole.
    auto recognizers = [&]() -> ErrorOr<voice::RecognizerFactory> {
        return voice::RecognizerFactory::prepare(OS1_TRY(recognizer_settings(args.speech, resolve_data_home(global.home))));
    }();
    if (recognizers.is_error())
        return fail(recognizers.error().message);
    auto recognizer = recognizers->open();
    if (recognizer.is_error())
        return fail(recognizer.error().message);
    double recognition_seconds = 0, recognized_seconds = 0;
    for (const voice::SimulatedInput& input : inputs) {
        const auto start = Clock::now();
        if (auto begun = (*recognizer)->begin(); begun.is_error())
            return fail(begun.error().message);
        if (auto fed = (*recognizer)->feed(input.clip.samples); fed.is_error())
            return fail(fed.error().message);
        if (auto words = (*recognizer)->finish(); words.is_error())
            return fail(words.error().message);
        recognition_seconds += seconds_since(start);
        recognized_seconds += std::chrono::duration<double>(input.clip.duration()).count();
    }

    // The conversation, in a data folder of its own.
    auto scratch = ScratchFolder::create("os1-bench-voice");
    if (scratch.is_error())
        return fail(scratch.error().message);
    const fs::path& home = scratch->path();
    auto backend = open_backend(args.backend, home, Interaction::Script);
    if (backend.is_error())
        return fail(backend.error().message);
    companion::HostOptions host_options;
    host_options.home = home;
    host_options.companion.learn = false;  // learning runs beside the conversation, not in its path
    host_options.sampling.max_tokens = args.max_tokens;
    host_options.sampling.seed = args.seed;
    std::vector<voice::TurnSummary> turns;
    std::vector<std::string> errors;
    {
        companion::CompanionHost host(*backend.value(), std::move(host_options));
        auto conversation = host.open("bench");
        if (conversation.is_error())
            return fail(conversation.error().message);
        companion::VoiceReplySource replies(*conversation);
        voice::DuplexSession session(std::make_unique<voice::EnergyDetector>(), recognizer.release_value(),
                                     *synthesizer.value(), replies);
        auto simulated = voice::simulate_dialogue(session, inputs);
        if (simulated.is_error())
            return fail(simulated.error().message);
        turns = std::move(simulated->turns);
        errors = std::move(simulated->errors);
    }
    if (turns.empty())
        return fail("no turn was heard; the detector or the recogniser heard nothing in the synthesised speech");

    std::vector<double> endpoint, stt_final, first_token, first_audio, synthesis, overhead, english_overhead;
    for (const voice::TurnSummary& turn : turns) {
        endpoint.push_back(ms(turn.timings.endpoint));
        stt_final.push_back(ms(turn.timings.stt_final));
        first_token.push_back(ms(turn.timings.first_token));
        first_audio.push_back(ms(turn.timings.first_audio));
        synthesis.push_back(ms(turn.timings.first_clause_synthesis));
        // Everything but the model's own compute: the hangover, finalising the transcript, and
        // synthesising the first piece of the first clause's audio once its text is there.
        overhead.push_back(endpoint.back() + stt_final.back() + synthesis.back());
        english_overhead.push_back(endpoint.back() + stt_final.back() +
                                   english_synthesis[(overhead.size() - 1) % english_synthesis.size()]);
    }
    ordered_json out = {
        {"turns", turns.size()},
        {"expected_turns", inputs.size()},
        {"endpoint_ms", summary(endpoint)},
        {"stt_engine", voice::to_string(recognizers->engine())},
        {"stt_final_ms", summary(stt_final)},
        {"first_token_ms", summary(first_token)},
        {"first_clause_synthesis_ms", summary(synthesis)},
        {"first_audio_ms", summary(first_audio)},
        {"overhead_ms", summary(overhead)},
        {"english_first_clause_synthesis_ms", summary(english_synthesis)},
        {"english_overhead_ms", summary(english_overhead)},
        {"stt_real_time_factor", recognition_seconds / recognized_seconds},
        {"tts_real_time_factor", synthesis_seconds / synthesized_seconds},
        {"peak_rss_mib", peak_rss_mib()},
        {"errors", errors},
    };
    if (args.json) {
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    std::printf("turns heard            %zu of %zu\n", turns.size(), inputs.size());
    auto line = [&](const char* name, const char* key) {
        const ordered_json& s = out[key];
        std::printf("%-22s p50 %7.1f ms  p90 %7.1f ms  max %7.1f ms\n", name, s["p50"].get<double>(),
                    s["p90"].get<double>(), s["max"].get<double>());
    };
    line("endpoint hangover", "endpoint_ms");
    line("stt finalisation", "stt_final_ms");
    line("first token", "first_token_ms");
    line("first clause synth", "first_clause_synthesis_ms");
    line("first audio", "first_audio_ms");
    line("overhead (no model)", "overhead_ms");
    line("english first clause", "english_first_clause_synthesis_ms");
    line("overhead, english", "english_overhead_ms");
    std::printf("stt real-time factor   %.3f\ntts real-time factor   %.3f\npeak memory            %ld MiB\n",
                recognition_seconds / recognized_seconds, synthesis_seconds / synthesized_seconds, peak_rss_mib());
    return 0;
}

}  // namespace

void register_voice_bench(CLI::App* bench, GlobalOptions& global, int& exit_code) {
    auto args = std::make_shared<VoiceBenchArgs>();
    CLI::App* voice = bench->add_subcommand(
        "voice", "Time from the end of speech to the first audio, stage by stage, through the spoken pipeline");
    voice->footer("The user's sentences are synthesised, heard by the detector, endpointer and recogniser, answered\n"
                  "by the companion on --model, and spoken by flite. overhead = endpoint hangover + transcript\n"
                  "finalisation + synthesis of the first clause's first audio (flite streams its vocoder's output):\n"
                  "everything but the model's own compute. A generated model's gibberish is slow to synthesise, so\n"
                  "the overhead is also given with the first clause of everyday English replies\n"
                  "(english_overhead_ms).\n"
                  "Example: os1 bench voice --model M --turns 12 --json");
    add_backend_options(*voice, args->backend);
    voice->add_option("--turns", args->turns, "Spoken turns to measure")->default_val(12)->check(CLI::Range(1, 1000));
    voice->add_option("--max-tokens", args->max_tokens, "Longest reply, in tokens")->default_val(48)->check(CLI::Range(1, 4096));
    voice->add_option("--seed", args->seed, "Sampling seed")->default_val(1);
    voice->add_flag("--json", args->json, "Print the figures as JSON");
    add_speech_options(*voice, args->speech, "--stt-model-dir");
    voice->callback([args, &global, &exit_code] { exit_code = run_voice_bench(*args, global); });
}

}  // namespace os1::cli
