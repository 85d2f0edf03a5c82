// Speech recognition with whisper.cpp, the optional engine for accuracy where pocketsphinx fails
// (in noise above all; BENCHMARKS.md), at the cost of a model download (`os1 pull
// whisper-base.en`) and more compute. Built only when the whisper.cpp source was present
// (OS1_WHISPER; see cmake/os1-whisper.cmake, which compiles it against llama.cpp's ggml).
//
// whisper.cpp transcribes a whole window at once, not frame by frame. So feed() keeps the audio,
// and finish() transcribes it; the dialogue finishes early, while the end-of-speech hangover runs
// out, which hides part of that pass (final_pass_time()). A long utterance is transcribed in
// chunks as it goes (cut at a pause after 20 s, at 28 s regardless: whisper's window is 30 s), so
// a monologue keeps bounded memory and finish() only has the last chunk left. partial() is the
// words of the chunks transcribed so far. A chunk with no frame of speech is not transcribed:
// whisper tends to invent words ("thank you") for silence.
//
// The weights are loaded once into a WhisperModel and shared, read-only, by every recogniser; each
// recogniser has its own decoding state, so separate recognisers may run on separate threads. One
// recogniser: one caller.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "voice/chunk-cutter.h"
#include "voice/speech-recognizer.h"

struct whisper_context;
struct whisper_state;

namespace os1::voice {

struct WhisperOptions {
    std::filesystem::path model;  // a whisper.cpp model file (ggml-base.en.bin, say)
    int threads = 0;              // 0: the machine's cores, at most 4
    std::chrono::seconds chunk_at_pause{20};
    std::chrono::seconds chunk_limit{28};
    // Encode only as much of the 30 s window as the audio fills, plus a margin, instead of the
    // whole window: about 3x faster on the few seconds a turn usually is (BENCHMARKS.md), at a
    // cost in accuracy that real weights would show and generated ones cannot.
    bool fit_window_to_audio = true;
};

class WhisperModel {
public:
    // Loads the model (about a second for base.en). NotFound when the file is missing, saying
    // how to get one; Corrupt when whisper.cpp cannot load it.
    static ErrorOr<std::shared_ptr<WhisperModel>> load(const WhisperOptions& options);
    ~WhisperModel();
    WhisperModel(const WhisperModel&) = delete;
    WhisperModel& operator=(const WhisperModel&) = delete;

    const WhisperOptions& options() const { return m_options; }
    // Whether the model was trained on English only (the .en models).
    bool english_only() const;

private:
    friend class WhisperRecognizer;
    WhisperModel(const WhisperOptions& options, whisper_context* context);

    WhisperOptions m_options;
    whisper_context* m_context;
};

class WhisperRecognizer final : public SpeechRecognizer {
public:
    // Internal when whisper.cpp cannot make a decoding state (out of memory).
    static ErrorOr<std::unique_ptr<WhisperRecognizer>> open(std::shared_ptr<const WhisperModel> model);
    ~WhisperRecognizer() override;

    ErrorOr<void> begin() override;
    ErrorOr<void> feed(std::span<const Sample> audio) override;
    std::string partial() override;
    ErrorOr<std::string> finish() override;
    // How long its recent final passes took (a running mean; zero before the first), so that
    // the dialogue starts the next one that much before the end of speech.
    std::chrono::milliseconds final_pass_time() const override { return m_final_pass_time; }

private:
    WhisperRecognizer(std::shared_ptr<const WhisperModel> model, whisper_state* state);
    // Transcribes the chunk just ended (nothing when it held no speech) and starts the next.
    ErrorOr<void> close_chunk(bool had_speech);
    ErrorOr<std::string> transcribe(std::vector<float> audio);

    std::shared_ptr<const WhisperModel> m_model;
    whisper_state* m_state;
    bool m_in_utterance = false;
    std::vector<float> m_chunk;    // the open chunk's audio, as whisper.cpp takes it
    std::string m_earlier_chunks;  // the words of the utterance's transcribed chunks
    ChunkCutter m_cutter;
    std::chrono::milliseconds m_final_pass_time{0};
};

}  // namespace os1::voice
