// A spoken turn as JSON, as `os1 talk --json` prints it and the web UI's voice socket sends it:
// {"transcript", "reply", "spoken", "interrupted", "timings": {"endpoint_ms", "stt_final_ms",
// "first_token_ms", "first_audio_ms"}}. Scripts rely on these names: keep them exact.
// Thread-safe: a pure function.
#pragma once

#include <nlohmann/json.hpp>

#include "voice/duplex-session.h"

namespace os1::voice {

nlohmann::json turn_json(const TurnSummary& turn);

}  // namespace os1::voice
