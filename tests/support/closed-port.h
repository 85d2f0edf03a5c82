// A loopback TCP port where connections are refused, for as long as the object lives: a socket
// bound to a port the kernel chose and never listening. Holding the binding keeps every other
// process (ctest -j) off that port, which closing a socket and reusing its number cannot.
#pragma once

namespace os1::test {

class ClosedPort {
public:
    ClosedPort();
    ~ClosedPort();
    ClosedPort(const ClosedPort&) = delete;
    ClosedPort& operator=(const ClosedPort&) = delete;

    // 0 when no port could be bound.
    int port() const { return m_port; }

private:
    int m_fd = -1;
    int m_port = 0;
};

}  // namespace os1::test
