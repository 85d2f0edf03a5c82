// The companion as the voice's ReplySource: what the user said goes to Conversation::say, the
// Turn's text streams to the speaker, and a barge-in cancels the Turn with exactly the words
// that were played aloud, which are then what the companion remembers having said.
//
// Thread-safety: as Conversation and Turn. One VoiceReply is read by one thread; interrupt()
// may come from another.
#pragma once

#include <memory>
#include <string>

#include "companion/conversation.h"
#include "voice/reply-source.h"

namespace os1::companion {

class VoiceReplySource : public voice::ReplySource {
public:
    // `conversation` must outlive this source and every reply it starts.
    explicit VoiceReplySource(Conversation& conversation);

    ErrorOr<std::unique_ptr<voice::Reply>> reply_to(const std::string& words) override;

    // The last reply's final event (Done or Failed), for a front end that reports what was
    // stored; Kind::Failed with an empty message before any reply has ended.
    TurnEvent last_end() const;

    struct LastEnd;

private:
    Conversation& m_conversation;
    std::shared_ptr<LastEnd> m_last_end;
};

}  // namespace os1::companion
