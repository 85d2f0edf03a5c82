// Internal to os1_dev: the mel filterbank whisper computes its log-mel spectrogram with. OpenAI
// made whisper's (assets/mel_filters.npz) with librosa.filters.mel(sr=16000, n_fft=400,
// n_mels=80), librosa's defaults: the Slaney mel scale (linear below 1 kHz, logarithmic above)
// and Slaney's area normalisation, so each triangle has the same area whatever its width.
#pragma once

#include <cstdint>
#include <vector>

namespace os1::dev::detail {

// The weights as librosa returns them: n_mels rows of n_fft / 2 + 1 values (one per FFT bin
// from 0 Hz to sample_rate / 2), row-major, rounded to float32 at the steps librosa rounds.
std::vector<float> slaney_mel_filterbank(int32_t sample_rate, int32_t n_fft, int32_t n_mels);

}  // namespace os1::dev::detail
