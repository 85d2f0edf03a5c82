#include "voice/whisper-recognizer.h"

#include <ggml.h>
#include <whisper.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "voice/whisper-model-file.h"
#include "voice/word-error-rate.h"

namespace os1::voice {

namespace fs = std::filesystem;

namespace {

// whisper.cpp declines audio shorter than a second; shorter turns ("yes") are padded with silence.
constexpr size_t k_min_samples = k_sample_rate + k_sample_rate / 20;
// Encoder positions per second of audio (its window is 1,500 for 30 s), and the margin kept
// past the audio when the window is fitted to it.
constexpr int k_positions_per_second = 50;
constexpr int k_window_margin = 64;
constexpr int k_full_window = 1500;
// A cap on the tokens of a chunk: a fast speaker says about 3 words, 4 tokens, a second. The cap
// stops a model that has lost its way from repeating itself until its context is full.
constexpr int k_base_tokens = 16;
constexpr int k_tokens_per_second = 6;

void discard_log(ggml_log_level, const char*, void*) {}

// whisper_log_set() also points ggml's log at its callback, and ggml's log is shared with
// llama.cpp: keep whisper.cpp's own messages out, and ggml's where llama's setup put them.
void silence_whisper_log() {
    static std::once_flag once;
    std::call_once(once, [] {
        ggml_log_callback ggml_callback = nullptr;
        void* ggml_user_data = nullptr;
        ggml_log_get(&ggml_callback, &ggml_user_data);
        whisper_log_set(discard_log, nullptr);
        ggml_log_set(ggml_callback, ggml_user_data);
    });
}

ErrorOr<void> check_model_file(const fs::path& path) {
    const std::string how = "; get one with: os1 pull whisper-base.en (or name a whisper.cpp model file with "
                            "--whisper-model FILE)";
    if (path.empty())
        return make_error(ErrorKind::NotFound, "no whisper model is installed" + how);
    auto inspected = inspect_whisper_model(path);
    if (inspected.is_error() && inspected.error().kind == ErrorKind::NotFound)
        return make_error(ErrorKind::NotFound, inspected.error().message + how);
    if (inspected.is_error())
        return inspected.release_error();
    return {};
}

int default_threads() {
    return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
}

// Whisper writes sentences ("Hello, world.") and marks sounds ("[BLANK_AUDIO]", "(music)",
// "*laughs*"); the recogniser's contract is the spoken words alone, lower case, unpunctuated.
std::string spoken_words(std::string_view text) {
    std::string kept;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const char closing = c == '[' ? ']' : c == '(' ? ')' : c == '*' ? '*' : 0;
        const size_t end = closing ? text.find(closing, i + 1) : std::string_view::npos;
        if (end == std::string_view::npos)
            kept += c;  // not a mark, or one left open: keep what follows
        else
            i = end;
    }
    std::string words;
    for (const std::string& word : normalized_words(kept)) {
        if (!words.empty())
            words += ' ';
        words += word;
    }
    return words;
}

}  // namespace

WhisperModel::WhisperModel(const WhisperOptions& options, whisper_context* context)
    : m_options(options), m_context(context) {}

WhisperModel::~WhisperModel() {
    whisper_free(m_context);
}

ErrorOr<std::shared_ptr<WhisperModel>> WhisperModel::load(const WhisperOptions& options) {
    OS1_TRY(check_model_file(options.model));
    silence_whisper_log();
    whisper_context_params params = whisper_context_default_params();
    whisper_context* context = nullptr;
    try {
        context = whisper_init_from_file_with_params_no_state(options.model.c_str(), params);
    } catch (const std::exception&) {
        context = nullptr;  // its loader throws on some damage that the check above cannot see
    }
    if (!context)
        return make_error(ErrorKind::Corrupt, options.model.string() +
                                                  ": whisper.cpp could not load this model (damaged, or from a "
                                                  "newer whisper.cpp?); download it again with os1 pull");
    return std::shared_ptr<WhisperModel>(new WhisperModel(options, context));
}

bool WhisperModel::english_only() const {
    return whisper_is_multilingual(m_context) == 0;
}

ErrorOr<std::unique_ptr<WhisperRecognizer>> WhisperRecognizer::open(std::shared_ptr<const WhisperModel> model) {
    whisper_state* state = whisper_init_state(model->m_context);
    if (!state)
        return make_error("whisper.cpp could not make a decoding state (out of memory?)");
    return std::unique_ptr<WhisperRecognizer>(new WhisperRecognizer(std::move(model), state));
}

WhisperRecognizer::WhisperRecognizer(std::shared_ptr<const WhisperModel> model, whisper_state* state)
    : m_model(std::move(model)),
      m_state(state),
      m_cutter(m_model->options().chunk_at_pause, m_model->options().chunk_limit) {}

WhisperRecognizer::~WhisperRecognizer() {
    whisper_free_state(m_state);
}

ErrorOr<void> WhisperRecognizer::begin() {
    m_in_utterance = true;
    m_chunk.clear();
    m_earlier_chunks.clear();
    m_cutter.reset();
    return {};
}

ErrorOr<void> WhisperRecognizer::feed(std::span<const Sample> audio) {
    if (!m_in_utterance)
        return make_error(ErrorKind::Conflict, "audio was fed to the recogniser outside an utterance");
    const auto append = [this](std::span<const Sample> piece) {
        for (Sample sample : piece)
            m_chunk.push_back(static_cast<float>(sample) / 32768.0f);
    };
    size_t kept = 0;
    for (const ChunkCutter::ChunkEnd& end : m_cutter.cuts(audio)) {
        append(audio.subspan(kept, end.offset - kept));
        kept = end.offset;
        OS1_TRY(close_chunk(end.had_speech));
    }
    append(audio.subspan(kept));
    return {};
}

std::string WhisperRecognizer::partial() {
    return m_in_utterance ? m_earlier_chunks : std::string();
}

ErrorOr<std::string> WhisperRecognizer::finish() {
    if (!m_in_utterance)
        return make_error(ErrorKind::Conflict, "the recogniser has no utterance to finish");
    m_in_utterance = false;
    const auto started = std::chrono::steady_clock::now();
    OS1_TRY(close_chunk(m_cutter.chunk_has_speech()));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    if (took.count() > 0)
        m_final_pass_time = m_final_pass_time.count() == 0 ? took : (3 * m_final_pass_time + took) / 4;
    return std::exchange(m_earlier_chunks, {});
}

ErrorOr<void> WhisperRecognizer::close_chunk(bool had_speech) {
    std::vector<float> chunk = std::exchange(m_chunk, {});
    if (!had_speech)
        return {};
    std::string words = OS1_TRY(transcribe(std::move(chunk)));
    m_earlier_chunks = join_words(std::move(m_earlier_chunks), words);
    return {};
}

ErrorOr<std::string> WhisperRecognizer::transcribe(std::vector<float> audio) {
    const WhisperOptions& options = m_model->options();
    if (audio.size() < k_min_samples)
        audio.resize(k_min_samples, 0.0f);
    const int seconds = static_cast<int>(audio.size() / k_sample_rate) + 1;

    whisper_full_params params = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
    params.n_threads = options.threads > 0 ? options.threads : default_threads();
    params.no_context = true;
    params.no_timestamps = true;
    params.single_segment = true;
    params.print_progress = false;
    params.print_realtime = false;
    params.print_special = false;
    params.print_timestamps = false;
    params.language = "en";
    params.suppress_blank = true;
    params.suppress_nst = true;
    // No retries at higher temperatures: in a conversation a second or third pass costs more
    // than the rare word it rescues.
    params.temperature = 0.0f;
    params.temperature_inc = 0.0f;
    params.max_tokens = k_base_tokens + k_tokens_per_second * seconds;
    if (options.fit_window_to_audio)
        params.audio_ctx = std::min(k_full_window, seconds * k_positions_per_second + k_window_margin);

    if (int failed = whisper_full_with_state(m_model->m_context, m_state, params, audio.data(),
                                             static_cast<int>(audio.size()));
        failed != 0)
        return make_error("whisper.cpp failed to transcribe the audio (error " + std::to_string(failed) + ")");
    std::string text;
    const int segments = whisper_full_n_segments_from_state(m_state);
    for (int i = 0; i < segments; ++i) {
        if (const char* segment = whisper_full_get_segment_text_from_state(m_state, i))
            text += segment;
    }
    return spoken_words(text);
}

}  // namespace os1::voice
