#include "voice/turn-json.h"

namespace os1::voice {

nlohmann::json turn_json(const TurnSummary& turn) {
    return {{"transcript", turn.transcript},
            {"reply", turn.reply},
            {"spoken", turn.spoken},
            {"interrupted", turn.interrupted},
            {"timings",
             {{"endpoint_ms", turn.timings.endpoint.count()},
              {"stt_final_ms", turn.timings.stt_final.count()},
              {"first_token_ms", turn.timings.first_token.count()},
              {"first_audio_ms", turn.timings.first_audio.count()}}}};
}

}  // namespace os1::voice
