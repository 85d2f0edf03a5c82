// Whether a 10 ms frame holds speech. The detector adapts to the room's noise floor as it
// runs, so one instance follows one audio stream. Not thread-safe: one caller.
#pragma once

#include "voice/audio-clip.h"

namespace os1::voice {

class VoiceActivityDetector {
public:
    virtual ~VoiceActivityDetector() = default;
    virtual bool is_speech(Frame frame) = 0;
    // Forgets what it learnt of the stream (a new recording).
    virtual void reset() = 0;
};

}  // namespace os1::voice
