// The whisper model file check: voice::inspect_whisper_model over a file of the input's bytes (in
// memory, through a memfd), as `--whisper-model FILE` checks a file before whisper.cpp reads it
// (whisper.cpp's own loader trusts every length). It never crashes or reads out of bounds; a file
// it accepts holds exactly the tensors its layer counts call for.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "check.h"
#include "voice/whisper-model-file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const int fd = memfd_create("whisper", MFD_CLOEXEC);
    OS1_FUZZ_CHECK(fd >= 0);
    size_t done = 0;
    while (done < size) {
        const ssize_t n = write(fd, data + done, size - done);
        OS1_FUZZ_CHECK(n > 0);
        done += size_t(n);
    }
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    auto file = os1::voice::inspect_whisper_model(path);
    if (file) {
        OS1_FUZZ_CHECK(file->audio_layers >= 1 && file->text_layers >= 1);
        OS1_FUZZ_CHECK(file->tensors == 7 + 15 * int64_t(file->audio_layers) + 4 + 24 * int64_t(file->text_layers));
    } else {
        OS1_FUZZ_CHECK(!file.error().message.empty());
    }
    close(fd);
    return 0;
}
