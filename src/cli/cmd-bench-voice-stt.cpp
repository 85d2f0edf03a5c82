// `os1 bench voice-stt`: speech recognition's word error rate, real-time factor and peak memory
// on a synthesised test set, and the voice-activity detector's false starts and cut-offs on the
// same clips (cli/voice-stt-bench.h).
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/json-error.h"
#include "cli/scratch-folder.h"
#include "cli/speech-options.h"
#include "cli/terminal-text.h"
#include "cli/voice-stt-bench.h"
#include "core/paths.h"
#include "voice/clip-turns.h"
#include "voice/noise-mix.h"
#include "voice/stt-test-sentences.h"
#include "voice/wav-file.h"
#include "voice/word-error-rate.h"

extern char** environ;

namespace os1::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using voice::AudioClip;

struct BenchVoice {
    const char* name;
    std::vector<std::string> program;  // the command, before the text and output file
    bool flite;                        // flite takes -t TEXT -o FILE; espeak-ng -w FILE TEXT
};

const std::vector<BenchVoice>& bench_voices() {
    static const std::vector<BenchVoice> voices = {
        {"flite slt", {"flite", "-voice", "slt"}, true},
        {"flite rms", {"flite", "-voice", "rms"}, true},
        {"flite awb", {"flite", "-voice", "awb"}, true},
        {"flite kal", {"flite", "-voice", "kal"}, true},
        {"espeak-ng en-us 140", {"espeak-ng", "-v", "en-us", "-s", "140"}, false},
        {"espeak-ng en 190", {"espeak-ng", "-v", "en", "-s", "190"}, false},
    };
    return voices;
}

// Lead and tail around each sentence: the detector's clip has a second of room before and 1.5 s
// after; the recogniser gets 300 ms either side, as an endpointed turn would.
constexpr int k_lead_ms = 1000;
constexpr int k_tail_ms = 1500;
constexpr int k_stt_margin_ms = 300;

// Runs `args` (found on $PATH) with its output discarded; an error naming the program when it
// is missing or fails.
ErrorOr<void> run_program(const std::vector<std::string>& args) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::vector<char*> argv;
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0)
        return make_error(ErrorKind::Unavailable, args.front() + " could not be run (" +
                                                      std::error_code(spawned, std::generic_category()).message() +
                                                      "); install flite, espeak-ng and sox");
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return make_error(args.front() + " failed (exit status " + std::to_string(WEXITSTATUS(status)) +
                          "); install flite, espeak-ng and sox");
    return {};
}

ErrorOr<AudioClip> synthesize(const BenchVoice& bench_voice, std::string_view text, const fs::path& file) {
    std::vector<std::string> args = bench_voice.program;
    if (bench_voice.flite)
        args.insert(args.end(), {"-t", std::string(text), "-o", file.string()});
    else
        args.insert(args.end(), {"-w", file.string(), std::string(text)});
    OS1_TRY(run_program(args));
    return voice::read_wav(file);
}

ErrorOr<AudioClip> make_noise(const char* colour, const fs::path& file) {
    OS1_TRY(run_program({"sox", "-R", "-n", "-r", "16000", "-c", "1", "-b", "16", file.string(), "synth", "30", colour,
                         "vol", "0.5"}));
    return voice::read_wav(file);
}

AudioClip silence_ms(int ms) {
    return AudioClip{std::vector<voice::Sample>(voice::samples_for(std::chrono::milliseconds{ms}))};
}

AudioClip padded(const AudioClip& speech) {
    AudioClip clip = silence_ms(k_lead_ms);
    clip.samples.insert(clip.samples.end(), speech.samples.begin(), speech.samples.end());
    const AudioClip tail = silence_ms(k_tail_ms);
    clip.samples.insert(clip.samples.end(), tail.samples.begin(), tail.samples.end());
    return clip;
}

// `length` samples of `noise` from `offset`, wrapping around.
AudioClip noise_slice(const AudioClip& noise, size_t offset, size_t length) {
    AudioClip slice;
    slice.samples.reserve(length);
    for (size_t i = 0; i < length; ++i)
        slice.samples.push_back(noise.samples[(offset + i) % noise.samples.size()]);
    return slice;
}

void score_detector(const AudioClip& clean, const AudioClip& heard, VoiceDetectorFigures& figures) {
    const voice::SpeechSpan speech = voice::speech_span(clean);
    const std::vector<voice::ClipTurn> turns = voice::turns_in(heard);
    ++figures.speech_clips;
    if (turns.empty()) {
        ++figures.missed;
        return;
    }
    // 50 ms before the first speech frame is the onset's own ramp, not noise.
    if (std::any_of(turns.begin(), turns.end(),
                    [&](const voice::ClipTurn& t) { return t.start_ms < speech.start_ms - 50; }))
        ++figures.false_starts;
    // Ending 150 ms before the speech ends loses a word's end; a second turn is a split.
    if (turns.size() > 1 || (turns.front().end_ms >= 0 && turns.front().end_ms < speech.end_ms - 150))
        ++figures.cut_offs;
}

struct Transcription {
    voice::WordErrors errors;
    double decode_s = 0;
    double audio_s = 0;
};

ErrorOr<Transcription> transcribe(voice::SpeechRecognizer& recognizer, const AudioClip& clip, std::string_view said) {
    const auto started = Clock::now();
    OS1_TRY(recognizer.begin());
    const std::span<const voice::Sample> audio = clip.samples;
    const size_t piece = voice::samples_for(std::chrono::milliseconds{100});
    for (size_t at = 0; at < audio.size(); at += piece)
        OS1_TRY(recognizer.feed(audio.subspan(at, std::min(piece, audio.size() - at))));
    const std::string heard = OS1_TRY(recognizer.finish());
    Transcription result;
    result.decode_s = std::chrono::duration<double>(Clock::now() - started).count();
    result.audio_s = static_cast<double>(clip.samples.size()) / voice::k_sample_rate;
    result.errors = voice::word_errors(said, heard);
    return result;
}

double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

}  // namespace

std::vector<std::string> voice_stt_bench_voices() {
    std::vector<std::string> names;
    for (const BenchVoice& v : bench_voices())
        names.push_back(v.name);
    return names;
}

ErrorOr<VoiceSttBenchResult> run_voice_stt_bench(const VoiceSttBenchOptions& options) {
    const int sentence_count = std::clamp(options.sentences, 1, static_cast<int>(voice::k_stt_test_sentences.size()));
    const ScratchFolder folder = OS1_TRY(ScratchFolder::create("os1-bench-voice-stt"));

    const AudioClip white = OS1_TRY(make_noise("whitenoise", folder.path() / "white.wav"));
    const AudioClip pink = OS1_TRY(make_noise("pinknoise", folder.path() / "pink.wav"));

    VoiceSttBenchResult result;
    const std::vector<std::pair<std::string, double>> noises = {{"clean", 0}, {"20 dB", 20}, {"10 dB", 10}};
    for (const BenchVoice& bench_voice : bench_voices()) {
        if (!options.voices.empty() &&
            std::find(options.voices.begin(), options.voices.end(), bench_voice.name) == options.voices.end())
            continue;
        std::vector<AudioClip> spoken;
        for (int i = 0; i < sentence_count; ++i)
            spoken.push_back(OS1_TRY(synthesize(bench_voice, voice::k_stt_test_sentences[static_cast<size_t>(i)],
                                                folder.path() / ("sentence-" + std::to_string(i) + ".wav"))));
        for (const auto& [noise_name, snr] : noises) {
            // A recogniser per condition: pocketsphinx adapts its cepstral mean across utterances,
            // as it would across one user's turns, but not across conditions.
            auto recognizer = OS1_TRY(options.recognizers.open());
            VoiceSttCondition condition{bench_voice.name, noise_name};
            for (int i = 0; i < sentence_count; ++i) {
                const AudioClip clean = padded(spoken[static_cast<size_t>(i)]);
                AudioClip heard = clean;
                if (snr > 0) {
                    const AudioClip& noise = i % 2 ? pink : white;
                    const size_t offset = static_cast<size_t>(i) * 7919 * 17 % noise.samples.size();
                    heard = voice::mix_at_snr(clean, noise_slice(noise, offset, clean.samples.size()), snr);
                }
                score_detector(clean, heard, result.detector);
                const size_t from = voice::samples_for(std::chrono::milliseconds{k_lead_ms - k_stt_margin_ms});
                const size_t to =
                    heard.samples.size() - voice::samples_for(std::chrono::milliseconds{k_tail_ms - k_stt_margin_ms});
                AudioClip turn{std::vector<voice::Sample>(heard.samples.begin() + static_cast<std::ptrdiff_t>(from),
                                                          heard.samples.begin() + static_cast<std::ptrdiff_t>(to))};
                const Transcription t = OS1_TRY(
                    transcribe(*recognizer, turn, voice::k_stt_test_sentences[static_cast<size_t>(i)]));
                condition.words += t.errors.reference_words;
                condition.edits += t.errors.edits;
                condition.audio_s += t.audio_s;
                condition.decode_s += t.decode_s;
            }
            if (options.on_progress) {
                char line[160];
                std::snprintf(line, sizeof line, "%-20s %-6s  WER %5.1f%%  (%zu of %zu words)  RTF %.3f",
                              condition.voice.c_str(), condition.noise.c_str(), 100 * condition.wer(), condition.edits,
                              condition.words, condition.decode_s / condition.audio_s);
                options.on_progress(line);
            }
            result.conditions.push_back(std::move(condition));
        }
    }
    // Noise alone, at the levels the 20 and 10 dB conditions had for the first sentence.
    if (!result.conditions.empty()) {
        const AudioClip reference = padded(OS1_TRY(synthesize(bench_voices().front(), voice::k_stt_test_sentences[0],
                                                              folder.path() / "reference.wav")));
        for (double snr : {20.0, 10.0}) {
            for (const AudioClip* noise : {&white, &pink}) {
                for (int slice = 0; slice < 10; ++slice) {
                    const AudioClip scaled = voice::mix_at_snr(
                        reference, noise_slice(*noise, static_cast<size_t>(slice) * 48000, reference.samples.size()),
                        snr);
                    // The noise alone: the mix minus the speech.
                    AudioClip only = scaled;
                    for (size_t i = 0; i < only.samples.size(); ++i)
                        only.samples[i] = static_cast<voice::Sample>(
                            std::clamp(static_cast<int>(scaled.samples[i]) - reference.samples[i], -32768, 32767));
                    ++result.detector.noise_clips;
                    result.detector.noise_turns += voice::turns_in(only).empty() ? 0 : 1;
                }
            }
        }
    }
    result.peak_rss_mib = peak_rss_mib();
    return result;
}

namespace {

struct BenchArgs {
    VoiceSttBenchOptions options;
    SpeechOptions speech;
    bool json = false;
};

// `value` to `decimals` places, divided rather than multiplied back so that 0.59 prints as 0.59.
double rounded(double value, int decimals) {
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

int run(const BenchArgs& args, const GlobalOptions& global) {
    VoiceSttBenchOptions options = args.options;
    if (!args.json)
        options.on_progress = [](const std::string& line) {
            std::fprintf(stderr, "%s\n", line.c_str());
            std::fflush(stderr);
        };
    auto result = [&]() -> ErrorOr<VoiceSttBenchResult> {
        const auto settings = OS1_TRY(recognizer_settings(args.speech, resolve_data_home(global.home)));
        options.recognizers = OS1_TRY(voice::RecognizerFactory::prepare(settings));
        return run_voice_stt_bench(options);
    }();
    if (!result) {
        std::fprintf(stderr, "os1 bench voice-stt: %s\n", terminal_text(result.error().message).c_str());
        if (args.json)
            print_json_error(result.error().message);
        return 1;
    }
    std::map<std::string, std::pair<size_t, size_t>> by_noise;  // edits, words
    size_t edits = 0, words = 0;
    double audio_s = 0, decode_s = 0;
    nlohmann::ordered_json conditions = nlohmann::ordered_json::array();
    for (const VoiceSttCondition& c : result->conditions) {
        by_noise[c.noise].first += c.edits;
        by_noise[c.noise].second += c.words;
        edits += c.edits;
        words += c.words;
        audio_s += c.audio_s;
        decode_s += c.decode_s;
        conditions.push_back({{"voice", c.voice},
                              {"noise", c.noise},
                              {"wer", rounded(c.wer(), 4)},
                              {"edits", c.edits},
                              {"words", c.words},
                              {"real_time_factor", rounded(c.decode_s / c.audio_s, 3)}});
    }
    const VoiceDetectorFigures& d = result->detector;
    const double rtf = audio_s > 0 ? decode_s / audio_s : 0;
    auto rate = [](int count, int of) { return of ? rounded(static_cast<double>(count) / of, 4) : 0.0; };
    if (args.json) {
        nlohmann::ordered_json noise_wer = nlohmann::ordered_json::object();
        for (const char* noise : {"clean", "20 dB", "10 dB"})
            if (by_noise.count(noise) && by_noise[noise].second)
                noise_wer[noise] = rounded(static_cast<double>(by_noise[noise].first) / by_noise[noise].second, 4);
        nlohmann::ordered_json out = {
            {"engine", voice::to_string(options.recognizers.engine())},
            {"sentences", options.sentences},
            {"conditions", conditions},
            {"wer_by_noise", noise_wer},
            {"wer", words ? rounded(static_cast<double>(edits) / words, 4) : 0.0},
            {"audio_s", rounded(audio_s, 2)},
            {"real_time_factor", rounded(rtf, 3)},
            {"peak_rss_mib", rounded(result->peak_rss_mib, 1)},
            {"detector",
             {{"speech_clips", d.speech_clips},
              {"false_start_rate", rate(d.false_starts + d.noise_turns, d.speech_clips + d.noise_clips)},
              {"cut_off_rate", rate(d.cut_offs + d.missed, d.speech_clips)},
              {"false_starts", d.false_starts},
              {"cut_offs", d.cut_offs},
              {"missed", d.missed},
              {"noise_clips", d.noise_clips},
              {"noise_turns", d.noise_turns}}},
        };
        std::printf("%s\n", out.dump().c_str());
        return 0;
    }
    std::printf("recogniser %s\n", voice::to_string(options.recognizers.engine()));
    for (const char* noise : {"clean", "20 dB", "10 dB"})
        if (by_noise.count(noise) && by_noise[noise].second)
            std::printf("WER %-6s %5.1f%%\n", noise,
                        100.0 * static_cast<double>(by_noise[noise].first) / by_noise[noise].second);
    std::printf("WER overall %5.1f%% (%zu edits in %zu words)\n", words ? 100.0 * edits / words : 0.0, edits, words);
    std::printf("real-time factor %.3f (%.1f s decoded in %.1f s)\n", rtf, audio_s, decode_s);
    std::printf("peak memory %.1f MiB (the whole process)\n", result->peak_rss_mib);
    std::printf("detector: false starts %d of %d clips (%d in the noise before speech, %d of %d noise-only clips), "
                "cut-offs %d and misses %d of %d sentences\n",
                d.false_starts + d.noise_turns, d.speech_clips + d.noise_clips, d.false_starts, d.noise_turns,
                d.noise_clips, d.cut_offs, d.missed, d.speech_clips);
    return 0;
}

}  // namespace

void register_voice_stt_bench(CLI::App* bench, GlobalOptions& global, int& exit_code) {
    auto args = std::make_shared<BenchArgs>();
    CLI::App* command = bench->add_subcommand(
        "voice-stt",
        "Speech recognition (pocketsphinx or whisper.cpp, see --stt) on a test set synthesised now with flite (slt, rms, awb, kal) and "
        "espeak-ng (en-us at 140, en at 190 words a minute), clean and in white or pink noise at 20 and 10 dB SNR: "
        "word error rate per condition, real-time factor, peak memory, and the voice-activity detector's false "
        "starts and cut-offs on the same clips. Needs flite, espeak-ng and sox; takes minutes");
    command->add_flag("--json", args->json,
                      "Print {\"sentences\", \"conditions\": [{\"voice\", \"noise\", \"wer\", \"edits\", \"words\", "
                      "\"real_time_factor\"}], \"wer_by_noise\", \"wer\", \"audio_s\", \"real_time_factor\", "
                      "\"peak_rss_mib\", \"detector\": {\"false_start_rate\", \"cut_off_rate\", ...}}");
    command->add_option("--sentences", args->options.sentences, "Use the first N of the 30 sentences (default 30)")
        ->check(CLI::Range(1, 30));
    command->add_option("--voice", args->options.voices, "Only these voices (repeatable)")
        ->check(CLI::IsMember(voice_stt_bench_voices()));
    add_speech_options(*command, args->speech, "--model-dir");
    command->callback([args, &global, &exit_code] { exit_code = run(*args, global); });
}

}  // namespace os1::cli
