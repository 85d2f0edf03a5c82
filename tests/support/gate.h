// A gate that holds a worker thread until the test opens it, so that a test can fill a queue
// behind a worker it knows is busy. hold() is called on the worker; wait_until_held() and
// open() on the test's thread.
#pragma once

#include <condition_variable>
#include <mutex>

namespace os1::test {

class Gate {
public:
    // Says the worker has arrived, then waits until open().
    void hold() {
        std::unique_lock lock(m_mutex);
        m_held = true;
        m_changed.notify_all();
        m_changed.wait(lock, [&] { return m_open; });
    }
    void wait_until_held() {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return m_held; });
    }
    void open() {
        {
            std::lock_guard lock(m_mutex);
            m_open = true;
        }
        m_changed.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_held = false;
    bool m_open = false;
};

}  // namespace os1::test
