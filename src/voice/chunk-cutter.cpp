#include "voice/chunk-cutter.h"

namespace os1::voice {

ChunkCutter::ChunkCutter(std::chrono::milliseconds at_pause, std::chrono::milliseconds limit)
    : m_at_pause_samples(samples_for(at_pause)), m_limit_samples(samples_for(limit)) {
    m_frame.reserve(k_frame_samples);
}

void ChunkCutter::reset() {
    m_detector.reset();
    m_frame.clear();
    m_chunk_samples = 0;
    m_silent_frames = 0;
    m_chunk_has_speech = false;
}

std::vector<ChunkCutter::ChunkEnd> ChunkCutter::cuts(std::span<const Sample> audio) {
    std::vector<ChunkEnd> ends;
    for (size_t i = 0; i < audio.size(); ++i) {
        m_chunk_samples++;
        m_frame.push_back(audio[i]);
        if (m_frame.size() < k_frame_samples)
            continue;
        const bool speech = m_detector.is_speech(Frame(m_frame.data(), k_frame_samples));
        m_frame.clear();
        m_silent_frames = speech ? 0 : m_silent_frames + 1;
        m_chunk_has_speech = m_chunk_has_speech || speech;
        if (m_chunk_samples >= m_limit_samples ||
            (m_chunk_samples >= m_at_pause_samples && m_silent_frames >= k_pause_frames)) {
            ends.push_back({i + 1, m_chunk_has_speech});
            m_chunk_samples = 0;
            m_silent_frames = 0;
            m_chunk_has_speech = false;
        }
    }
    return ends;
}

}  // namespace os1::voice
