#include "llm/kv-file.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

#include "core/handles.h"

namespace os1::llm {

namespace fs = std::filesystem;

namespace {

constexpr char magic[8] = {'O', 'S', '1', 'K', 'V', '0', '0', '1'};
constexpr uint64_t max_reasonable_bytes = uint64_t(1) << 36;  // 64 GiB: anything larger is corruption

class Writer {
public:
    explicit Writer(std::FILE* file) : m_file(file) {}
    void bytes(const void* data, size_t size) { m_ok = m_ok && std::fwrite(data, 1, size, m_file) == size; }
    void u64(uint64_t value) { bytes(&value, sizeof value); }
    bool ok() const { return m_ok; }

private:
    std::FILE* m_file;
    bool m_ok = true;
};

class Reader {
public:
    explicit Reader(std::FILE* file) : m_file(file) {}
    bool bytes(void* data, size_t size) { return std::fread(data, 1, size, m_file) == size; }
    bool u64(uint64_t& value) { return bytes(&value, sizeof value); }
    bool length(uint64_t& value) { return u64(value) && value <= max_reasonable_bytes; }

private:
    std::FILE* m_file;
};

}  // namespace

ErrorOr<void> write_kv_snapshot(const fs::path& file, const KvSnapshot& snapshot) {
    fs::path temporary = file;
    temporary += ".tmp";
    {
        FilePtr out(std::fopen(temporary.c_str(), "wb"));
        if (!out)
            return make_error(temporary.string() + ": cannot write the conversation cache: " + std::strerror(errno));
        Writer writer(out.get());
        writer.bytes(magic, sizeof magic);
        writer.u64(snapshot.model_fingerprint);
        writer.u64(snapshot.tokens.size());
        writer.bytes(snapshot.tokens.data(), snapshot.tokens.size() * sizeof(llama_token));
        writer.bytes(snapshot.text_ends.data(), snapshot.text_ends.size() * sizeof(uint64_t));
        writer.u64(snapshot.text.size());
        writer.bytes(snapshot.text.data(), snapshot.text.size());
        writer.u64(snapshot.state.size());
        writer.bytes(snapshot.state.data(), snapshot.state.size());
        if (!writer.ok() || std::fflush(out.get()) != 0 || ::fsync(::fileno(out.get())) != 0) {
            int saved = errno;
            std::error_code ignored;
            fs::remove(temporary, ignored);
            return make_error(temporary.string() + ": cannot write the conversation cache: " + std::strerror(saved));
        }
    }
    std::error_code ec;
    fs::rename(temporary, file, ec);
    if (ec)
        return make_error(file.string() + ": cannot replace the conversation cache: " + ec.message());
    return {};
}

ErrorOr<KvSnapshot> read_kv_snapshot(const fs::path& file) {
    FilePtr in(std::fopen(file.c_str(), "rb"));
    if (!in)
        return make_error(file.string() + ": cannot read the conversation cache: " + std::strerror(errno));
    Reader reader(in.get());
    auto corrupt = [&] { return make_error(file.string() + ": the conversation cache is corrupt or truncated"); };

    char header[sizeof magic];
    if (!reader.bytes(header, sizeof header) || std::memcmp(header, magic, sizeof magic) != 0)
        return make_error(file.string() + ": not an os1 conversation cache (wrong magic bytes)");
    KvSnapshot snapshot;
    uint64_t count = 0;
    if (!reader.u64(snapshot.model_fingerprint) || !reader.length(count))
        return corrupt();
    snapshot.tokens.resize(count);
    snapshot.text_ends.resize(count);
    if (!reader.bytes(snapshot.tokens.data(), count * sizeof(llama_token)) ||
        !reader.bytes(snapshot.text_ends.data(), count * sizeof(uint64_t)))
        return corrupt();
    uint64_t text_size = 0;
    if (!reader.length(text_size))
        return corrupt();
    snapshot.text.resize(text_size);
    if (!reader.bytes(snapshot.text.data(), text_size))
        return corrupt();
    uint64_t state_size = 0;
    if (!reader.length(state_size))
        return corrupt();
    snapshot.state.resize(state_size);
    if (!reader.bytes(snapshot.state.data(), state_size))
        return corrupt();
    for (uint64_t end : snapshot.text_ends) {
        if (end > text_size)
            return corrupt();
    }
    return snapshot;
}

}  // namespace os1::llm
