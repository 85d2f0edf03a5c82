// A voice-activity detector of our own, by frame energy against a noise floor that it tracks as
// it runs: the floor is the quietest frame of the last 1.6 s (minimum statistics, after Martin),
// so it follows a fan switching on within seconds while speech, which always has quiet gaps
// between syllables, does not drag it up. A frame is speech when it stands clearly above the
// floor (with hysteresis, so a word's weaker end stays speech) and above an absolute level, so
// digital silence is never speech. The signal is band-limited to about 100 Hz to 4 kHz first,
// where speech has its energy and hum and white noise have less of theirs, and its power is
// averaged over 30 ms.
//
// Chosen over WebRTC's VAD (libwebrtc-audio-processing 0.3 exposes its GMM VAD only through the
// whole AudioProcessing module, tuned for 10 ms frames of a live call) for its predictability:
// its measured false-start and cut-off rates are in ARCHITECTURE.md. Not thread-safe: one caller.
#pragma once

#include <array>

#include "voice/voice-activity.h"

namespace os1::voice {

struct EnergyDetectorSettings {
    double start_above_floor_db = 10;  // a frame this far above the floor starts speech
    double stay_above_floor_db = 6;    // once in speech, a frame this far above it continues it
    double min_level_dbfs = -55;       // quieter frames are never speech (digital silence, hiss)
};

class EnergyDetector final : public VoiceActivityDetector {
public:
    explicit EnergyDetector(EnergyDetectorSettings settings = {});

    bool is_speech(Frame frame) override;
    void reset() override;

    // The energy of the last frame and the floor it was compared with, in dB of full scale.
    double last_level_dbfs() const { return m_last_level; }
    double noise_floor_dbfs() const { return m_floor; }

private:
    static constexpr int k_subwindow_frames = 40;  // 0.4 s
    static constexpr int k_subwindows = 4;         // the floor is the minimum over 1.6 s

    // The frame's band power (not in dB), averaged with the two before it: noise flickers less,
    // and a syllable's dip between phones does not split it.
    double band_power(Frame frame);

    EnergyDetectorSettings m_settings;
    // Filter state: one-pole high-pass (DC and rumble), then a two-tap low-pass (a zero at 8 kHz).
    double m_previous_input = 0;
    double m_previous_highpass = 0;
    std::array<double, 3> m_recent_powers{};
    size_t m_recent_index = 0;
    std::array<double, k_subwindows> m_subwindow_minima{};
    double m_current_minimum = 0;
    int m_frames_in_subwindow = 0;
    int m_subwindow_index = 0;
    bool m_in_speech = false;
    double m_floor = 0;
    double m_last_level = 0;
};

}  // namespace os1::voice
