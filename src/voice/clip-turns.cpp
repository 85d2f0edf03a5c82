#include "voice/clip-turns.h"

#include <algorithm>
#include <cmath>

#include "voice/energy-detector.h"

namespace os1::voice {

namespace {

constexpr int k_frame_ms = 10;

}  // namespace

std::vector<ClipTurn> turns_in(const AudioClip& clip, EndpointerSettings settings) {
    EnergyDetector detector;
    Endpointer endpointer(settings);
    std::vector<ClipTurn> turns;
    for (size_t at = 0; at + k_frame_samples <= clip.samples.size(); at += k_frame_samples) {
        const bool speech = detector.is_speech(Frame(clip.samples.data() + at, k_frame_samples));
        const int now_ms = static_cast<int>(at / k_frame_samples) * k_frame_ms;
        switch (endpointer.push(speech, "")) {
            case Endpointer::Event::SpeechStarted:
                turns.push_back({now_ms, -1});
                break;
            case Endpointer::Event::SpeechEnded:
                turns.back().end_ms = now_ms;
                break;
            case Endpointer::Event::None:
                break;
        }
    }
    return turns;
}

SpeechSpan speech_span(const AudioClip& clean) {
    std::vector<double> levels;
    for (size_t at = 0; at + k_frame_samples <= clean.samples.size(); at += k_frame_samples) {
        double sum = 0;
        for (size_t i = at; i < at + k_frame_samples; ++i)
            sum += (clean.samples[i] / 32768.0) * (clean.samples[i] / 32768.0);
        levels.push_back(10 * std::log10(sum / k_frame_samples + 1e-12));
    }
    if (levels.empty())
        return {};
    const double loudest = *std::max_element(levels.begin(), levels.end());
    int first = -1, last = -1;
    for (size_t i = 0; i < levels.size(); ++i) {
        if (levels[i] < loudest - 40)
            continue;
        if (first < 0)
            first = static_cast<int>(i);
        last = static_cast<int>(i);
    }
    return {first * k_frame_ms, (last + 1) * k_frame_ms};
}

}  // namespace os1::voice
