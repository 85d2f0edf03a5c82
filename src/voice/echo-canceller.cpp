#include "voice/echo-canceller.h"

#include <algorithm>
#include <cmath>

namespace os1::voice {

namespace {

constexpr double k_scale = 1.0 / 32768.0;
constexpr float k_emphasis = 0.95f;  // the pre-emphasis filter 1 - 0.95 z^-1
// Playback quieter than this (about -60 dBFS) is no echo worth gating on.
constexpr double k_silent_energy = 1e-6 * k_frame_samples;
// Playback louder than this (about -40 dBFS) shows what the filter cancels.
constexpr double k_loud_energy = 1e-4 * k_frame_samples;
constexpr size_t k_ratio_frames = 100;         // the remaining echo is the worst of the last 1 s
constexpr size_t k_min_ratio_frames = 50;      // of loud playback, once 0.5 s of it was heard
constexpr size_t k_pending_frames = 8;         // a frame's ratio counts when 80 ms followed it
constexpr double k_min_remaining_echo = 1e-3;  // -30 dB: no filter cancels more, reliably

double energy_of(const float* samples, size_t count) {
    double energy = 0;
    for (size_t i = 0; i < count; i++)
        energy += static_cast<double>(samples[i]) * samples[i];
    return energy;
}

}  // namespace

EchoCanceller::EchoCanceller(EchoCancellerSettings settings) : m_settings(settings) {
    m_settings.taps = std::max<size_t>(m_settings.taps, k_frame_samples);
    reset();
}

void EchoCanceller::reset() {
    m_weights.assign(m_settings.taps, 0.0f);
    m_reference.assign(m_settings.taps + k_frame_samples, 0.0f);
    m_emphasised.assign(m_settings.taps + k_frame_samples, 0.0f);
    m_last_reference = 0;
    m_last_mic = 0;
    m_reference_energies.assign(m_settings.taps / k_frame_samples + 2, 0.0);
    m_energy_index = 0;
    m_echo_ratios.assign(k_ratio_frames, 0.0);
    m_ratio_index = 0;
    m_ratio_frames = 0;
    m_last_may_be_user = false;
    m_pending_ratios.clear();
}

EchoCanceller::Result EchoCanceller::process(Frame microphone, Frame played) {
    const size_t taps = m_settings.taps;
    // Slide the reference by one frame and append what was played, plain and pre-emphasised.
    std::copy(m_reference.begin() + k_frame_samples, m_reference.end(), m_reference.begin());
    std::copy(m_emphasised.begin() + k_frame_samples, m_emphasised.end(), m_emphasised.begin());
    float* newest = m_reference.data() + taps;
    float* newest_emphasised = m_emphasised.data() + taps;
    for (size_t i = 0; i < k_frame_samples; i++) {
        newest[i] = static_cast<float>(played[i] * k_scale);
        newest_emphasised[i] = newest[i] - k_emphasis * (i == 0 ? m_last_reference : newest[i - 1]);
    }
    m_last_reference = newest[k_frame_samples - 1];
    m_reference_energies[m_energy_index] = energy_of(newest, k_frame_samples);
    m_energy_index = (m_energy_index + 1) % m_reference_energies.size();
    double loudest_playback = *std::max_element(m_reference_energies.begin(), m_reference_energies.end());

    // While the user may be speaking (double talk) the filter holds still: their voice is not
    // echo, and learning from it would undo what it learnt.
    bool adapt = !m_last_may_be_user && loudest_playback > k_silent_energy;
    const float step = static_cast<float>(m_settings.step);
    const float regularisation = static_cast<float>(1e-5 * static_cast<double>(taps));
    // For microphone sample j the filter sees reference samples j+1 .. j+taps (the newest
    // is the one played together with it).
    double window_energy = energy_of(m_emphasised.data() + 1, taps);
    Result result;
    double mic_energy = 0;
    double residual_energy = 0;
    for (size_t j = 0; j < k_frame_samples; j++) {
        const float* x = m_reference.data() + j + 1;
        const float* xe = m_emphasised.data() + j + 1;
        float* w = m_weights.data();
        float predicted = 0;
        float predicted_emphasised = 0;
        for (size_t k = 0; k < taps; k++) {
            predicted += w[k] * x[k];
            predicted_emphasised += w[k] * xe[k];
        }
        float mic = static_cast<float>(microphone[j] * k_scale);
        float mic_emphasised = mic - k_emphasis * m_last_mic;
        m_last_mic = mic;
        float error = mic - predicted;
        mic_energy += static_cast<double>(mic) * mic;
        residual_energy += static_cast<double>(error) * error;
        result.residual[j] = static_cast<Sample>(std::clamp(std::lround(error * 32768.0f), -32768L, 32767L));
        // The filter learns from the pre-emphasised signals: speech is far from white, and its
        // strong low frequencies would slow the learning of everything else to a crawl. The
        // echo path is the same for them (emphasis is linear).
        float emphasised_error = mic_emphasised - predicted_emphasised;
        if (adapt) {
            float gain = step * emphasised_error / (regularisation + static_cast<float>(window_energy));
            for (size_t k = 0; k < taps; k++)
                w[k] += gain * xe[k];
        }
        // Slide the window's energy by one sample (the last sample's window is the frame's end).
        if (j + 1 < k_frame_samples) {
            window_energy += static_cast<double>(xe[taps]) * xe[taps] - static_cast<double>(xe[0]) * xe[0];
            window_energy = std::max(window_energy, 0.0);
        }
    }
    // A filter that makes things much worse, by a good part of the playback's level, has
    // diverged (a sudden change of path): start over. (At the quiet end of a word the residual
    // may well exceed the microphone, by little in absolute terms.)
    if (!std::isfinite(residual_energy) ||
        (residual_energy > 4 * mic_energy && residual_energy > 0.25 * loudest_playback &&
         residual_energy > k_silent_energy)) {
        std::fill(m_weights.begin(), m_weights.end(), 0.0f);
        result.residual = {};
        for (size_t j = 0; j < k_frame_samples; j++)
            result.residual[j] = microphone[j];
        residual_energy = mic_energy;
    }

    if (loudest_playback <= k_silent_energy) {
        result.may_be_user = true;  // nothing played lately: whatever is heard is not echo
    } else {
        double remaining_echo =
            m_ratio_frames < k_min_ratio_frames
                ? m_settings.echo_path_gain_bound
                : std::max(*std::max_element(m_echo_ratios.begin(), m_echo_ratios.end()), k_min_remaining_echo);
        result.may_be_user = residual_energy > m_settings.margin * remaining_echo * loudest_playback;
        // A frame teaches what remains of the echo only once the frames after it showed that
        // the user was not starting to speak in it (the quiet start of speech passes under the
        // gate, and learning from it would raise the gate against the rest).
        if (result.may_be_user) {
            m_pending_ratios.clear();
        } else if (loudest_playback > k_loud_energy) {
            m_pending_ratios.push_back(std::min(residual_energy / loudest_playback, m_settings.echo_path_gain_bound));
            if (m_pending_ratios.size() > k_pending_frames) {
                m_echo_ratios[m_ratio_index] = m_pending_ratios.front();
                m_pending_ratios.pop_front();
                m_ratio_index = (m_ratio_index + 1) % m_echo_ratios.size();
                m_ratio_frames++;
            }
        }
    }
    m_last_may_be_user = result.may_be_user && loudest_playback > k_silent_energy;
    return result;
}

}  // namespace os1::voice
