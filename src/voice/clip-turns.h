// Where a recording's speech is, and the turns that the live session's detector and endpointer
// (EnergyDetector, Endpointer with its settings) find in it: what the voice benchmarks and tests
// measure the detector by.
#pragma once

#include <vector>

#include "voice/audio-clip.h"
#include "voice/endpointer.h"

namespace os1::voice {

// A turn as the endpointer marks it, in ms from the clip's start.
struct ClipTurn {
    int start_ms = -1;
    int end_ms = -1;  // -1: still open at the clip's end
};

// The turns found in `clip`, frame by frame as a session hears it.
std::vector<ClipTurn> turns_in(const AudioClip& clip, EndpointerSettings settings = {});

// Where the speech of a clean recording begins and ends (ms from its start): its first frame
// and the end of its last frame within 40 dB of its loudest. {0, 0} for a clip under a frame.
struct SpeechSpan {
    int start_ms = 0;
    int end_ms = 0;
};
SpeechSpan speech_span(const AudioClip& clean);

}  // namespace os1::voice
