#include "voice/pocketsphinx-recognizer.h"

#include <sphinxbase/err.h>
#include <pocketsphinx.h>

#include <system_error>

namespace os1::voice {

namespace fs = std::filesystem;

namespace {

struct ConfigDeleter {
    void operator()(cmd_ln_t* config) const { cmd_ln_free_r(config); }
};
struct DecoderDeleter {
    void operator()(ps_decoder_t* decoder) const { ps_free(decoder); }
};

ErrorOr<void> require(const fs::path& path, const char* what) {
    std::error_code ec;
    if (fs::exists(path, ec))
        return {};
    return make_error(ErrorKind::NotFound, "the pocketsphinx model has no " + std::string(what) + " (" + path.string() +
                                               "); install pocketsphinx-en-us, or name a model folder with --model-dir");
}

}  // namespace

struct PocketsphinxRecognizer::Decoder {
    std::unique_ptr<cmd_ln_t, ConfigDeleter> config;
    std::unique_ptr<ps_decoder_t, DecoderDeleter> decoder;
};

fs::path default_pocketsphinx_model_dir() {
    return "/usr/share/pocketsphinx/model/en-us";
}

ErrorOr<std::unique_ptr<PocketsphinxRecognizer>> PocketsphinxRecognizer::open(const PocketsphinxOptions& options) {
    const fs::path& dir = options.model_dir;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return make_error(ErrorKind::NotFound, dir.string() +
                                                   ": no pocketsphinx model folder here; install pocketsphinx-en-us, "
                                                   "or name a model folder with --model-dir");
    const fs::path hmm = dir / "en-us";
    const fs::path lm = dir / "en-us.lm.bin";
    const fs::path dict = dir / "cmudict-en-us.dict";
    OS1_TRY(require(hmm / "mdef", "acoustic model"));
    OS1_TRY(require(lm, "language model"));
    OS1_TRY(require(dict, "dictionary"));

    // Its log goes nowhere: the library prints to stderr before -logfn takes effect.
    err_set_logfp(nullptr);
    auto decoder = std::make_unique<Decoder>();
    decoder->config.reset(cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", hmm.c_str(), "-lm", lm.c_str(), "-dict",
                                      dict.c_str(), "-logfn", "/dev/null", "-fwdflat", "no", nullptr));
    if (!decoder->config)
        return make_error(dir.string() + ": pocketsphinx refused its configuration");
    decoder->decoder.reset(ps_init(decoder->config.get()));
    if (!decoder->decoder)
        return make_error(ErrorKind::Corrupt, dir.string() + ": pocketsphinx could not load the model (damaged? "
                                                             "reinstall pocketsphinx-en-us)");
    return std::unique_ptr<PocketsphinxRecognizer>(new PocketsphinxRecognizer(options, std::move(decoder)));
}

PocketsphinxRecognizer::PocketsphinxRecognizer(const PocketsphinxOptions& options, std::unique_ptr<Decoder> decoder)
    : m_options(options), m_decoder(std::move(decoder)), m_cutter(options.chunk_at_pause, options.chunk_limit) {}

PocketsphinxRecognizer::~PocketsphinxRecognizer() {
    if (m_in_utterance)
        ps_end_utt(m_decoder->decoder.get());
}

ErrorOr<void> PocketsphinxRecognizer::begin() {
    ps_decoder_t* ps = m_decoder->decoder.get();
    if (m_in_utterance)
        ps_end_utt(ps);
    m_in_utterance = false;
    m_earlier_chunks.clear();
    m_cutter.reset();
    if (ps_start_utt(ps) < 0)
        return make_error("pocketsphinx could not start an utterance");
    m_in_utterance = true;
    return {};
}

ErrorOr<void> PocketsphinxRecognizer::decode(std::span<const Sample> audio) {
    if (audio.empty())
        return {};
    if (ps_process_raw(m_decoder->decoder.get(), audio.data(), audio.size(), FALSE, FALSE) < 0)
        return make_error("pocketsphinx failed to decode the audio");
    return {};
}

std::string PocketsphinxRecognizer::hypothesis() {
    int32 score = 0;
    const char* words = ps_get_hyp(m_decoder->decoder.get(), &score);
    return words ? std::string(words) : std::string();
}

ErrorOr<void> PocketsphinxRecognizer::next_chunk() {
    ps_decoder_t* ps = m_decoder->decoder.get();
    if (ps_end_utt(ps) < 0)
        return make_error("pocketsphinx could not end a chunk of the utterance");
    m_earlier_chunks = join_words(std::move(m_earlier_chunks), hypothesis());
    if (ps_start_utt(ps) < 0) {
        m_in_utterance = false;
        return make_error("pocketsphinx could not start the next chunk of the utterance");
    }
    return {};
}

ErrorOr<void> PocketsphinxRecognizer::feed(std::span<const Sample> audio) {
    if (!m_in_utterance)
        return make_error(ErrorKind::Conflict, "audio was fed to the recogniser outside an utterance");
    size_t decoded = 0;
    for (const ChunkCutter::ChunkEnd& end : m_cutter.cuts(audio)) {
        OS1_TRY(decode(audio.subspan(decoded, end.offset - decoded)));
        decoded = end.offset;
        OS1_TRY(next_chunk());
    }
    return decode(audio.subspan(decoded));
}

std::string PocketsphinxRecognizer::partial() {
    if (!m_in_utterance)
        return {};
    return join_words(m_earlier_chunks, hypothesis());
}

ErrorOr<std::string> PocketsphinxRecognizer::finish() {
    if (!m_in_utterance)
        return make_error(ErrorKind::Conflict, "the recogniser has no utterance to finish");
    m_in_utterance = false;
    if (ps_end_utt(m_decoder->decoder.get()) < 0)
        return make_error("pocketsphinx could not end the utterance");
    std::string words = join_words(std::move(m_earlier_chunks), hypothesis());
    m_earlier_chunks.clear();
    return words;
}

}  // namespace os1::voice
