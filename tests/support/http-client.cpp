#include "support/http-client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

namespace os1::test {

namespace {

int connect_to(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(uint16_t(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool send_all(int fd, const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        sent += size_t(n);
    }
    return true;
}

std::string lower(std::string text) {
    for (char& c : text)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

HttpReply http_request(int port, const std::string& method, const std::string& path,
                       const std::map<std::string, std::string>& headers, const std::string& body) {
    HttpReply reply;
    const int fd = connect_to(port);
    if (fd < 0)
        return reply;
    std::string request = method + " " + path + " HTTP/1.1\r\nConnection: close\r\n";
    if (!headers.count("Host"))
        request += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
    for (const auto& [name, value] : headers)
        request += name + ": " + value + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
        request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    send_all(fd, request);
    std::string raw;
    char buffer[16384];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0)
            break;
        raw.append(buffer, size_t(n));
    }
    ::close(fd);
    const size_t head_end = raw.find("\r\n\r\n");
    if (head_end == std::string::npos || raw.size() < 12)
        return reply;
    reply.status = std::stoi(raw.substr(9, 3));
    size_t line_start = raw.find("\r\n") + 2;
    while (line_start < head_end) {
        const size_t line_end = raw.find("\r\n", line_start);
        const std::string line = raw.substr(line_start, line_end - line_start);
        const size_t colon = line.find(':');
        if (colon != std::string::npos) {
            const std::string name = lower(line.substr(0, colon));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ')
                value.erase(0, 1);
            if (name == "set-cookie")
                reply.set_cookies.push_back(value);
            reply.headers[name] = value;
        }
        line_start = line_end + 2;
    }
    reply.body = raw.substr(head_end + 4);
    return reply;
}

RawConnection::RawConnection(int port, const std::string& request_bytes) : m_fd(connect_to(port)) {
    if (m_fd >= 0 && !send_all(m_fd, request_bytes))
        close();
}

RawConnection::~RawConnection() { close(); }

std::string RawConnection::read_until(const std::string& needle, size_t from) {
    char buffer[4096];
    while (m_fd >= 0 && (from > m_read.size() || m_read.find(needle, from) == std::string::npos)) {
        const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
        if (n <= 0)
            break;
        m_read.append(buffer, size_t(n));
    }
    return m_read;
}

void RawConnection::close() {
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

}  // namespace os1::test
