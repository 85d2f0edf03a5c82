#include "voice/whisper-model-file.h"

#include <ggml.h>

#include <array>
#include <cstring>
#include <fstream>
#include <string>

namespace os1::voice {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t k_magic = 0x67676d6c;  // "ggml", as a little-endian word
constexpr int32_t k_max_dimension = 1 << 24;
constexpr int32_t k_max_name = 256;
constexpr int32_t k_max_token = 1 << 10;

// A little-endian reader over the file that knows how much is left.
class Reader {
public:
    Reader(std::ifstream& in, uint64_t size) : m_in(in), m_left(size) {}

    bool int32(int32_t& value) {
        std::array<unsigned char, 4> bytes{};
        if (!bytes_into(bytes.data(), bytes.size()))
            return false;
        value = static_cast<int32_t>(uint32_t(bytes[0]) | uint32_t(bytes[1]) << 8 | uint32_t(bytes[2]) << 16 |
                                     uint32_t(bytes[3]) << 24);
        return true;
    }
    bool skip(uint64_t count) {
        if (count > m_left)
            return false;
        m_in.seekg(static_cast<std::streamoff>(count), std::ios::cur);
        m_left -= count;
        return static_cast<bool>(m_in);
    }
    bool bytes_into(void* out, uint64_t count) {
        if (count > m_left || !m_in.read(static_cast<char*>(out), static_cast<std::streamsize>(count)))
            return false;
        m_left -= count;
        return true;
    }
    uint64_t left() const { return m_left; }

private:
    std::ifstream& m_in;
    uint64_t m_left;
};

Error damaged(const fs::path& path, const std::string& what) {
    return make_error(ErrorKind::Corrupt, path.string() + ": the whisper model is damaged (" + what +
                                              "); download it again with os1 pull");
}

}  // namespace

ErrorOr<WhisperModelFile> inspect_whisper_model(const fs::path& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        return make_error(ErrorKind::NotFound, path.string() + ": no whisper model file here");
    const uint64_t size = fs::file_size(path, ec);
    std::ifstream in(path, std::ios::binary);
    if (ec || !in)
        return make_error(ErrorKind::PermissionDenied, path.string() + ": cannot be read; check its permissions");
    Reader reader(in, size);

    int32_t magic = 0;
    if (!reader.int32(magic) || static_cast<uint32_t>(magic) != k_magic)
        return make_error(ErrorKind::InvalidInput,
                          path.string() + ": not a whisper.cpp model (ggml-*.bin); a GGUF chat model goes to --model");
    std::array<int32_t, 11> header{};  // n_vocab ... ftype
    for (int32_t& value : header) {
        if (!reader.int32(value))
            return damaged(path, "its header is cut off");
    }
    WhisperModelFile file;
    file.vocabulary = header[0];
    file.width = header[2];
    file.audio_layers = header[4];
    file.text_layers = header[8];
    for (int32_t value : header) {
        if (value < 0)
            return damaged(path, "a negative size in its header");
    }
    if (file.audio_layers < 1 || file.audio_layers > 64 || file.text_layers < 1 || file.text_layers > 64)
        return damaged(path, "its layer counts are out of range");

    int32_t mels = 0, fft_bins = 0;
    if (!reader.int32(mels) || !reader.int32(fft_bins) || mels <= 0 || fft_bins <= 0 || mels > 512 ||
        fft_bins > 4096 || !reader.skip(uint64_t(mels) * uint64_t(fft_bins) * sizeof(float)))
        return damaged(path, "its mel filters are cut off or out of range");

    int32_t tokens = 0;
    if (!reader.int32(tokens) || tokens < 0 || tokens > (1 << 20))
        return damaged(path, "its vocabulary size is out of range");
    for (int32_t i = 0; i < tokens; ++i) {
        int32_t length = 0;
        if (!reader.int32(length) || length < 0 || length > k_max_token || !reader.skip(uint64_t(length)))
            return damaged(path, "its vocabulary is cut off");
    }

    while (reader.left() > 0) {
        int32_t dimensions = 0, name_length = 0, type = 0;
        if (!reader.int32(dimensions) || !reader.int32(name_length) || !reader.int32(type))
            return damaged(path, "a tensor's header is cut off");
        if (dimensions < 1 || dimensions > 4 || name_length < 1 || name_length > k_max_name || type < 0 ||
            type >= GGML_TYPE_COUNT)
            return damaged(path, "a tensor's header is out of range");
        const auto ggml = static_cast<ggml_type>(type);
        const uint64_t block = static_cast<uint64_t>(ggml_blck_size(ggml));
        const uint64_t block_bytes = ggml_type_size(ggml);
        if (block == 0 || block_bytes == 0)
            return damaged(path, "a tensor of a type this whisper.cpp does not know");
        uint64_t elements = 1;
        for (int32_t d = 0; d < dimensions; ++d) {
            int32_t extent = 0;
            if (!reader.int32(extent) || extent < 1 || extent > k_max_dimension)
                return damaged(path, "a tensor's shape is out of range");
            elements *= uint64_t(extent);
            if (elements > (uint64_t(1) << 40))
                return damaged(path, "a tensor's shape is out of range");
        }
        if (elements % block != 0)
            return damaged(path, "a tensor's size does not fit its type");
        if (!reader.skip(uint64_t(name_length)) || !reader.skip(elements / block * block_bytes))
            return damaged(path, "it is cut off in its weights");
        file.tensors++;
    }
    // The encoder has 7 tensors of its own and 15 per layer; the decoder 4, and 24 per layer
    // (15 for attending to itself and its feed-forward part, 9 for attending to the audio).
    const int64_t expected = 7 + 15 * int64_t(file.audio_layers) + 4 + 24 * int64_t(file.text_layers);
    if (file.tensors != expected)
        return damaged(path, "it holds " + std::to_string(file.tensors) + " tensors where its layers call for " +
                                 std::to_string(expected));
    return file;
}

}  // namespace os1::voice
