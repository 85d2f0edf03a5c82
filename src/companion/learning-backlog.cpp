#include "companion/learning-backlog.h"

namespace os1::companion {

LearningBacklog::Added LearningBacklog::add(LearningJob job) {
    std::lock_guard lock(m_mutex);
    Added added;
    if (m_jobs.size() >= m_capacity) {
        added.dropped = std::move(m_jobs.front());
        m_jobs.pop_front();
    }
    m_jobs.push_back(std::move(job));
    added.start_runner = !m_runner;
    m_runner = true;
    return added;
}

std::optional<LearningJob> LearningBacklog::take() {
    std::lock_guard lock(m_mutex);
    if (m_jobs.empty())
        return std::nullopt;
    LearningJob job = std::move(m_jobs.front());
    m_jobs.pop_front();
    return job;
}

bool LearningBacklog::runner_goes_on() {
    std::lock_guard lock(m_mutex);
    m_runner = !m_jobs.empty();
    return m_runner;
}

}  // namespace os1::companion
