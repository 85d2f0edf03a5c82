// Where to cut a long utterance into chunks for a recogniser: at a pause once a chunk has run
// for a while, or regardless at a hard limit. Engines need it for different reasons (pocketsphinx's
// search tables grow with the utterance; whisper.cpp sees at most 30 s at once), and a 10-minute
// monologue must stay in bounded memory either way. Pauses are found with the energy detector,
// in 10 ms frames assembled from whatever lengths the audio comes in. Not thread-safe: one caller.
#pragma once

#include <chrono>
#include <span>
#include <vector>

#include "voice/audio-clip.h"
#include "voice/energy-detector.h"

namespace os1::voice {

class ChunkCutter {
public:
    // A pause may end a chunk once it holds `at_pause` of audio; a chunk never exceeds `limit`.
    ChunkCutter(std::chrono::milliseconds at_pause, std::chrono::milliseconds limit);

    // Starts the first chunk of a new utterance.
    void reset();

    struct ChunkEnd {
        size_t offset = 0;        // into the audio given to cuts(), past the chunk's last sample
        bool had_speech = false;  // whether any frame of the chunk was speech
    };

    // Takes the next piece of the utterance and returns where in it chunks end, in order. The
    // audio after the last end begins the chunk that is still open.
    std::vector<ChunkEnd> cuts(std::span<const Sample> audio);

    // Whether the open chunk has held any frame of speech so far (a chunk of pure silence or
    // steady noise needs no decoding at all; whisper.cpp would invent words for it).
    bool chunk_has_speech() const { return m_chunk_has_speech; }

private:
    // A pause this long is a place to cut a chunk without cutting a word.
    static constexpr int k_pause_frames = 15;

    size_t m_at_pause_samples;
    size_t m_limit_samples;
    EnergyDetector m_detector;
    std::vector<Sample> m_frame;
    size_t m_chunk_samples = 0;
    int m_silent_frames = 0;
    bool m_chunk_has_speech = false;
};

}  // namespace os1::voice
