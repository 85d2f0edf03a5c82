// Test doubles at the voice pipeline's seams: a recogniser that "hears" fixed words in any
// utterance with enough sound in it, and a ReplySource that replies with scripted pieces and
// records what it was told (the words of each turn, what interrupt() stored). The audio, the
// synthesizer and the echo path stay real.
#pragma once

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "voice/reply-source.h"
#include "voice/speech-recognizer.h"

namespace os1::test {

// Hears the next of `transcripts` in each utterance with at least 200 ms of loud frames (and
// nothing in a quieter one); its partial words appear after 250 ms of them. Not thread-safe.
class FixedWordsRecognizer final : public voice::SpeechRecognizer {
public:
    explicit FixedWordsRecognizer(std::vector<std::string> transcripts) : m_transcripts(std::move(transcripts)) {}

    ErrorOr<void> begin() override {
        m_loud_samples = 0;
        return {};
    }
    ErrorOr<void> feed(std::span<const voice::Sample> audio) override {
        for (size_t start = 0; start + voice::k_frame_samples <= audio.size(); start += voice::k_frame_samples) {
            double sum = 0;
            for (size_t i = 0; i < voice::k_frame_samples; i++)
                sum += static_cast<double>(audio[start + i]) * audio[start + i];
            if (std::sqrt(sum / voice::k_frame_samples) > 500)
                m_loud_samples += voice::k_frame_samples;
        }
        return {};
    }
    std::string partial() override {
        return m_loud_samples >= voice::samples_for(std::chrono::milliseconds(250)) ? next_transcript() : "";
    }
    ErrorOr<std::string> finish() override {
        if (m_loud_samples < voice::samples_for(std::chrono::milliseconds(200)))
            return std::string();
        m_loud_samples = 0;
        std::string words = next_transcript();
        m_used++;
        return words;
    }

private:
    std::string next_transcript() const {
        return m_transcripts.empty() ? "" : m_transcripts[m_used % m_transcripts.size()];
    }

    std::vector<std::string> m_transcripts;
    size_t m_used = 0;
    size_t m_loud_samples = 0;
};

// Replies to each turn with the next script of pieces. A script can hold back its pieces from
// `hold_from` on until release() (to see that speech starts before the reply is complete).
// Thread-safe: the session's worker calls it while the test reads it.
class ScriptedReplySource final : public voice::ReplySource {
public:
    explicit ScriptedReplySource(std::vector<std::vector<std::string>> scripts, size_t hold_from = SIZE_MAX)
        : m_scripts(std::move(scripts)), m_hold_from(hold_from) {}

    ErrorOr<std::unique_ptr<voice::Reply>> reply_to(const std::string& words) override {
        std::lock_guard lock(m_state->mutex);
        size_t turn = m_state->heard.size();
        m_state->heard.push_back(words);
        return std::unique_ptr<voice::Reply>(
            new ScriptedReply(m_state, m_scripts[turn % m_scripts.size()], turn == 0 ? m_hold_from : SIZE_MAX));
    }

    void release() {
        {
            std::lock_guard lock(m_state->mutex);
            m_state->released = true;
        }
        m_state->changed.notify_all();
    }
    std::vector<std::string> heard() const {
        std::lock_guard lock(m_state->mutex);
        return m_state->heard;
    }
    std::vector<std::string> interruptions() const {
        std::lock_guard lock(m_state->mutex);
        return m_state->interruptions;
    }
    // Replies the session said were played to their end.
    size_t played_through() const {
        std::lock_guard lock(m_state->mutex);
        return m_state->played_through;
    }
    // Waits until `count` replies were played through, or a minute passes; returns how many were.
    size_t wait_for_played_through(size_t count) const {
        std::unique_lock lock(m_state->mutex);
        m_state->changed.wait_for(lock, std::chrono::minutes(1), [&] { return m_state->played_through >= count; });
        return m_state->played_through;
    }
    // Waits until interrupt() has been called `count` times (the session calls it from its
    // worker, just after the turn ends), or a minute passes; returns them.
    std::vector<std::string> wait_for_interruptions(size_t count) const {
        std::unique_lock lock(m_state->mutex);
        m_state->changed.wait_for(lock, std::chrono::minutes(1),
                                  [&] { return m_state->interruptions.size() >= count; });
        return m_state->interruptions;
    }
    // Pieces handed out by all replies so far.
    size_t pieces_taken() const {
        std::lock_guard lock(m_state->mutex);
        return m_state->pieces_taken;
    }

private:
    struct State {
        mutable std::mutex mutex;
        std::condition_variable changed;
        std::vector<std::string> heard;
        std::vector<std::string> interruptions;
        size_t played_through = 0;
        size_t pieces_taken = 0;
        bool released = false;
    };

    class ScriptedReply final : public voice::Reply {
    public:
        ScriptedReply(std::shared_ptr<State> state, std::vector<std::string> pieces, size_t hold_from)
            : m_state(std::move(state)), m_pieces(std::move(pieces)), m_hold_from(hold_from) {}

        affect::ProsodyHints prosody() const override { return {}; }
        ErrorOr<std::optional<Piece>> next(std::chrono::milliseconds timeout) override {
            std::unique_lock lock(m_state->mutex);
            if (m_next >= m_hold_from && !m_state->released &&
                !m_state->changed.wait_for(lock, timeout, [&] { return m_state->released; }))
                return std::optional<Piece>();
            if (m_next == m_pieces.size())
                return std::optional<Piece>(Piece{.text = "", .done = true});
            m_state->pieces_taken++;
            return std::optional<Piece>(Piece{.text = m_pieces[m_next++], .done = false});
        }
        void interrupt(const std::string& spoken) override {
            {
                std::lock_guard lock(m_state->mutex);
                m_state->interruptions.push_back(spoken);
            }
            m_state->changed.notify_all();
        }
        void played_through() override {
            {
                std::lock_guard lock(m_state->mutex);
                m_state->played_through++;
            }
            m_state->changed.notify_all();
        }

    private:
        std::shared_ptr<State> m_state;
        std::vector<std::string> m_pieces;
        size_t m_hold_from;
        size_t m_next = 0;
    };

    std::vector<std::vector<std::string>> m_scripts;
    size_t m_hold_from;
    std::shared_ptr<State> m_state = std::make_shared<State>();
};

}  // namespace os1::test
