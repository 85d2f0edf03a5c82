// Stop strings over a streamed reply: the text is fed piece by piece as it is generated, and
// the matcher releases what surely comes before any stop string, holds back a tail that could
// still become one, and says when one completed. The reply ends at the first byte where a stop
// string completes (when several complete there, the longest, which starts earliest, counts),
// so the outcome does not depend on how the text was cut into pieces. Each byte is examined a
// bounded number of times (a Knuth-Morris-Pratt automaton per stop string), so the work is
// linear in the reply.
//
// Not thread-safe: one matcher per reply, fed in order by one thread; the emitted text never
// contains a stop string, and with valid UTF-8 stop strings and input it is whole characters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace os1::llm {

class StopMatcher {
public:
    // Each stop string non-empty (ChatRequest::validate checks this); none: nothing stops.
    explicit StopMatcher(std::vector<std::string> stops = {});

    struct Output {
        std::string text;      // reply text that precedes any stop string (possibly empty)
        bool stopped = false;  // a stop string completed; the reply ends after `text`
    };

    // Takes the next piece of the reply. After a stop, pieces are ignored.
    Output push(std::string_view piece);
    // At the end of the reply: the tail held back as a possible start of a stop string (empty
    // after a stop).
    std::string flush();
    bool stopped() const { return m_stopped; }

private:
    struct Pattern {
        std::string text;
        std::vector<uint32_t> fallback;  // KMP: longest proper border of each prefix
        size_t matched = 0;              // bytes of `text` that end the input so far
    };

    std::vector<Pattern> m_patterns;
    std::string m_pending;  // received but not yet emitted
    bool m_stopped = false;
};

}  // namespace os1::llm
