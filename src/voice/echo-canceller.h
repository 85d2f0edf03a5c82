// Keeps the companion's own voice, coming back from the speaker into the microphone, from
// sounding like the user. Two parts, both driven with the frame just played as the reference:
//  - a normalised-LMS adaptive filter that learns the echo path (speaker, room, microphone:
//    delay and gain) and subtracts the predicted echo from the microphone signal;
//  - a gate that says whether what is left can be the user at all: only when it stands clearly
//    above the echo that could remain. What could remain is the highest residual-to-playback
//    ratio seen over the last second of loud playback (while the user was not speaking); until
//    half a second of it was heard, it is a bound on the echo path's gain (the echo is never
//    louder than what was played). So it only falls once the filter has cancelled the echo for
//    a while, and rises as soon as it cancels less.
//    So echo does not pass while the filter learns, a user who speaks up passes at once, and
//    one who speaks normally passes once the filter has converged.
// Chosen over webrtc-audio-processing 0.3's AEC for being deterministic and measurable on
// simulated loops: the echo loop test in tests/unit/test-voice-duplex.cpp drives it.
// Not thread-safe: one caller (the duplex session's tick).
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <vector>

#include "voice/audio-clip.h"

namespace os1::voice {

struct EchoCancellerSettings {
    // The echo path the filter can learn: the playback's delay to the microphone (device
    // buffers, distance) plus the room's tail must fit. 2048 taps are 128 ms.
    size_t taps = 2048;
    double step = 0.5;  // NLMS step size (0..2): larger converges faster, smaller is steadier
    // The most the echo can be above the playback, in energy (1 = never louder than played).
    double echo_path_gain_bound = 1.0;
    // The user must be this far above the echo that could remain (6 dB).
    double margin = 4.0;
};

class EchoCanceller {
public:
    explicit EchoCanceller(EchoCancellerSettings settings = {});

    struct Result {
        std::array<Sample, k_frame_samples> residual{};  // the microphone with the echo removed
        bool may_be_user = false;                        // the residual stands above the echo that could remain
    };

    // One 10 ms microphone frame and the frame played just before it (silence when none).
    Result process(Frame microphone, Frame played);
    // Forgets the learnt echo path (another device).
    void reset();

private:
    EchoCancellerSettings m_settings;
    std::vector<float> m_weights;     // the echo path, newest sample last
    std::vector<float> m_reference;   // taps + one frame of played samples, newest last
    std::vector<float> m_emphasised;  // the same, pre-emphasised
    float m_last_reference = 0;       // the filters' state across frames
    float m_last_mic = 0;
    std::vector<double> m_reference_energies;  // per played frame, over the filter's span
    size_t m_energy_index = 0;
    // Residual energy / loudest recent playback energy, of the last frames of loud playback.
    std::vector<double> m_echo_ratios;
    size_t m_ratio_index = 0;
    size_t m_ratio_frames = 0;  // loud frames measured since the reset
    bool m_last_may_be_user = false;
    std::deque<double> m_pending_ratios;  // of the last frames, not yet known to be echo alone
};

}  // namespace os1::voice
