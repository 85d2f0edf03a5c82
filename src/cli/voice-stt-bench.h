// The speech-recognition benchmark behind `os1 bench voice-stt`, callable from `os1 bench
// voice` too: a test set synthesised on the spot with flite (voices slt, rms, awb, kal) and
// espeak-ng (two voices at 140 and 190 words a minute), clean and in white or pink noise at 20
// and 10 dB SNR, transcribed by the chosen recogniser (pocketsphinx or whisper.cpp). It reports the word error rate per condition, the
// real-time factor and the process's peak memory, and the energy detector's false-start and
// cut-off rates on the same clips. Not thread-safe: one run at a time (it runs programs and
// measures the process's own memory).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "voice/recognizer-factory.h"

namespace os1::cli {

struct VoiceSttBenchOptions {
    int sentences = 30;                   // the first N of voice::k_stt_test_sentences
    std::vector<std::string> voices;      // names from voice_stt_bench_voices(); empty: all
    voice::RecognizerFactory recognizers; // the engine under test; default: pocketsphinx
    std::function<void(const std::string&)> on_progress;  // a line per condition, for a terminal
};

struct VoiceSttCondition {
    std::string voice;   // "flite slt", "espeak-ng en-us 140"
    std::string noise;   // "clean", "20 dB", "10 dB" (white and pink noise alternate by sentence)
    size_t words = 0;
    size_t edits = 0;
    double audio_s = 0;
    double decode_s = 0;
    double wer() const { return words ? static_cast<double>(edits) / static_cast<double>(words) : 0; }
};

struct VoiceDetectorFigures {
    int speech_clips = 0;
    int false_starts = 0;  // a turn began in the noise before the sentence
    int cut_offs = 0;      // a turn ended before the sentence did (split or cut short)
    int missed = 0;        // no turn at all
    int noise_clips = 0;   // 3 s of noise alone
    int noise_turns = 0;   // noise-only clips taken for a turn
};

struct VoiceSttBenchResult {
    std::vector<VoiceSttCondition> conditions;
    VoiceDetectorFigures detector;
    double peak_rss_mib = 0;
};

// The voices the benchmark knows, in order.
std::vector<std::string> voice_stt_bench_voices();

ErrorOr<VoiceSttBenchResult> run_voice_stt_bench(const VoiceSttBenchOptions& options);

}  // namespace os1::cli
