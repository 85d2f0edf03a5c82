#include "voice/energy-detector.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace os1::voice {

namespace {

constexpr double k_silence_dbfs = -120;
// The high-pass pole: a corner near 100 Hz at 16 kHz.
constexpr double k_highpass_pole = 0.96;

}  // namespace

EnergyDetector::EnergyDetector(EnergyDetectorSettings settings) : m_settings(settings) {
    reset();
}

void EnergyDetector::reset() {
    m_previous_input = 0;
    m_previous_highpass = 0;
    m_recent_powers.fill(-1);
    m_recent_index = 0;
    m_subwindow_minima.fill(std::numeric_limits<double>::infinity());
    m_current_minimum = std::numeric_limits<double>::infinity();
    m_frames_in_subwindow = 0;
    m_subwindow_index = 0;
    m_in_speech = false;
    m_floor = k_silence_dbfs;
    m_last_level = k_silence_dbfs;
}

double EnergyDetector::band_power(Frame frame) {
    double sum = 0;
    for (Sample sample : frame) {
        const double input = sample / 32768.0;
        const double highpass = input - m_previous_input + k_highpass_pole * m_previous_highpass;
        const double band = 0.5 * (highpass + m_previous_highpass);
        m_previous_input = input;
        m_previous_highpass = highpass;
        sum += band * band;
    }
    m_recent_powers[m_recent_index] = sum / static_cast<double>(frame.size());
    m_recent_index = (m_recent_index + 1) % m_recent_powers.size();
    double total = 0;
    int frames = 0;
    for (double power : m_recent_powers) {
        if (power < 0)  // the stream's first frames
            continue;
        total += power;
        ++frames;
    }
    return total / frames;
}

bool EnergyDetector::is_speech(Frame frame) {
    const double power = band_power(frame);
    const double level = power > 0 ? std::max(k_silence_dbfs, 10 * std::log10(power)) : k_silence_dbfs;
    m_last_level = level;

    // Minimum statistics: the floor is the quietest frame of the current subwindow and the
    // previous ones, so it can rise again 1.6 s after the noise does.
    m_current_minimum = std::min(m_current_minimum, level);
    if (++m_frames_in_subwindow == k_subwindow_frames) {
        m_subwindow_minima[static_cast<size_t>(m_subwindow_index)] = m_current_minimum;
        m_subwindow_index = (m_subwindow_index + 1) % k_subwindows;
        m_current_minimum = std::numeric_limits<double>::infinity();
        m_frames_in_subwindow = 0;
    }
    double floor = m_current_minimum;
    for (double minimum : m_subwindow_minima)
        floor = std::min(floor, minimum);
    m_floor = floor;

    const double above = m_in_speech ? m_settings.stay_above_floor_db : m_settings.start_above_floor_db;
    m_in_speech = level >= m_settings.min_level_dbfs && level - floor >= above;
    return m_in_speech;
}

}  // namespace os1::voice
