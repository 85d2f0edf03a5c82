// The host's shared executor for learning that happens after a reply: fact extraction, the
// model's appraisal, the journal and reflection. A fixed number of worker threads take jobs
// from one bounded queue; when it is full, post() waits for room (back-pressure on whoever
// produces faster than the model can learn), instead of starting a thread per turn.
//
// Every job runs inside a catch-all: a failure or an exception is logged and counted, never
// lost and never fatal. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/log.h"

namespace os1::companion {

struct BackgroundStats {
    uint64_t posted = 0;
    uint64_t succeeded = 0;
    uint64_t failed = 0;  // returned an error or threw
    size_t pending = 0;   // queued or running
};

class BackgroundQueue {
public:
    using Job = std::function<ErrorOr<void>()>;

    // `workers` threads (at least one), at most `capacity` queued jobs (at least one).
    BackgroundQueue(size_t workers, size_t capacity, LogSink log);
    // Runs what is queued, then joins the workers.
    ~BackgroundQueue();

    // Queues `job`, waiting while the queue is full. `label` names it in the log ("facts for
    // alice"). After shutdown began, the job is refused with an error.
    ErrorOr<void> post(std::string label, Job job);
    // Queues `job` at once, even past the capacity: for producers that bound their own jobs
    // (one learning runner per user) and must never wait, such as a job queueing its successor.
    ErrorOr<void> post_now(std::string label, Job job);

    // Waits until every job posted so far has finished.
    void drain();
    // drain() for at most `timeout`; false when jobs were still queued or running then.
    bool drain_for(std::chrono::milliseconds timeout);

    BackgroundStats stats() const;

    BackgroundQueue(const BackgroundQueue&) = delete;
    BackgroundQueue& operator=(const BackgroundQueue&) = delete;

private:
    struct Entry {
        std::string label;
        Job job;
    };
    ErrorOr<void> enqueue(std::string label, Job job, bool wait_for_room);
    void work();
    void run_one(Entry& entry);

    const size_t m_capacity;
    LogSink m_log;
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<Entry> m_queue;
    size_t m_running = 0;
    bool m_stopping = false;
    BackgroundStats m_stats;
    std::vector<std::thread> m_workers;
};

}  // namespace os1::companion
