// Speech in noise at a chosen signal-to-noise ratio, for measuring the detector and the
// recogniser (tests and `os1 bench voice-stt`). The speech level is that of its active part
// (frames within 30 dB of the loudest, roughly ITU-T P.56's active level), so leading and
// trailing silence do not flatter the ratio. Thread-safe: pure functions.
#pragma once

#include "voice/audio-clip.h"

namespace os1::voice {

// The mean power of the clip's active frames, in dB of full scale; -120 for silence.
double active_level_dbfs(const AudioClip& clip);

// `speech` with `noise` added (repeated when shorter) at `snr_db` below the speech's active
// level. The sum is clipped at full scale.
AudioClip mix_at_snr(const AudioClip& speech, const AudioClip& noise, double snr_db);

}  // namespace os1::voice
