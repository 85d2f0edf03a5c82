// A minimal blocking HTTP/1.1 client for tests of `os1 serve`: one request per connection
// (Connection: close), read to the end, so that streamed (SSE) bodies arrive whole. Also opens
// raw connections for tests that hang up mid-stream.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace os1::test {

struct HttpReply {
    int status = 0;  // 0 when the connection failed
    std::map<std::string, std::string> headers;  // names in lowercase; the last of repeated ones
    std::vector<std::string> set_cookies;
    std::string body;
};

HttpReply http_request(int port, const std::string& method, const std::string& path,
                       const std::map<std::string, std::string>& headers = {}, const std::string& body = {});

// A connection with a request sent and nothing read yet; closing it hangs up.
class RawConnection {
public:
    RawConnection(int port, const std::string& request_bytes);
    ~RawConnection();
    bool connected() const { return m_fd >= 0; }
    // Reads until `needle` has arrived at or after byte `from` of what was read (or the
    // connection ends); returns everything read so far.
    std::string read_until(const std::string& needle, size_t from = 0);
    void close();

private:
    int m_fd = -1;
    std::string m_read;
};

}  // namespace os1::test
