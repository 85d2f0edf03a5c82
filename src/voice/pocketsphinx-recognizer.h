// Speech recognition with pocketsphinx 0.8 (Debian 12's 0.8+5prealpha, the ps_decoder_t and
// cmd_ln API) and its US English model from Debian's pocketsphinx-en-us. Audio is decoded as it
// is fed, so finish() only ends the search. A long utterance is decoded in chunks, ended and
// restarted at a pause after 20 s or regardless at 30 s, their words joined: pocketsphinx's
// search tables grow with the utterance, and a 10-minute monologue must stay in bounded memory.
// The decoder's log is discarded (pocketsphinx writes it to stdout or stderr by default).
// Not thread-safe: one caller per recognizer; separate recognizers may run on separate threads.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "voice/chunk-cutter.h"
#include "voice/speech-recognizer.h"

namespace os1::voice {

// Debian's model folder: /usr/share/pocketsphinx/model/en-us.
std::filesystem::path default_pocketsphinx_model_dir();

struct PocketsphinxOptions {
    // Holds en-us/ (the acoustic model), en-us.lm.bin and cmudict-en-us.dict.
    std::filesystem::path model_dir = default_pocketsphinx_model_dir();
    std::chrono::seconds chunk_at_pause{20};  // after this long, a pause ends a chunk
    std::chrono::seconds chunk_limit{30};     // a chunk ends here, pause or not
};

class PocketsphinxRecognizer final : public SpeechRecognizer {
public:
    // Loads the model (about a second). NotFound, naming the folder and the Debian package,
    // when a part of the model is missing; Internal when pocketsphinx refuses it.
    static ErrorOr<std::unique_ptr<PocketsphinxRecognizer>> open(const PocketsphinxOptions& options = {});
    ~PocketsphinxRecognizer() override;

    ErrorOr<void> begin() override;
    ErrorOr<void> feed(std::span<const Sample> audio) override;
    std::string partial() override;
    ErrorOr<std::string> finish() override;

    struct Decoder;

private:
    PocketsphinxRecognizer(const PocketsphinxOptions& options, std::unique_ptr<Decoder> decoder);
    ErrorOr<void> decode(std::span<const Sample> audio);
    // Ends the current chunk and starts the next, keeping its words.
    ErrorOr<void> next_chunk();
    std::string hypothesis();

    PocketsphinxOptions m_options;
    std::unique_ptr<Decoder> m_decoder;
    bool m_in_utterance = false;
    std::string m_earlier_chunks;  // the words of the utterance's finished chunks
    ChunkCutter m_cutter;
};

}  // namespace os1::voice
