// The whisper model file check: voice::inspect_whisper_model over a file of the input's bytes (in
// memory, through a memfd), as `--whisper-model FILE` checks a file before whisper.cpp reads it
// (whisper.cpp's own loader trusts every length). It never crashes or reads out of bounds; a file
// it accepts holds exactly the tensors its layer counts call for.
#include <cstddef>
#include <cstdint>

#include "check.h"
#include "memory-file.h"
#include "voice/whisper-model-file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const MemoryFile input(data, size);
    auto model = os1::voice::inspect_whisper_model(input.path());
    if (model) {
        OS1_FUZZ_CHECK(model->audio_layers >= 1 && model->text_layers >= 1);
        OS1_FUZZ_CHECK(model->tensors == 7 + 15 * int64_t(model->audio_layers) + 4 + 24 * int64_t(model->text_layers));
    } else {
        OS1_FUZZ_CHECK(!model.error().message.empty());
    }
    return 0;
}
