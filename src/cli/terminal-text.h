// Text from storage, a file or a model, made safe to print on a terminal. A terminal obeys the
// control characters in what it is given: ESC starts sequences that move the cursor, erase the
// screen, retitle the window or (on some terminals) answer back as if typed; CR and BS overwrite
// what was shown; the C1 controls (U+0080 to U+009F, such as CSI) do what ESC does. A card or an
// import could carry any of them, so every piece of such text the os1 command prints (on stdout
// or in an error on stderr) goes through terminal_text. --json output needs none of this: JSON
// escapes control characters itself.
#pragma once

#include <string>
#include <string_view>

#include "core/utf8.h"

namespace os1::cli {

enum class Newlines {
    Keep,    // multi-line text (a reply, a journal entry, a core block): line breaks stay
    Escape,  // one line of a listing: a line break would pass for the start of another entry
};

// `text` with each control character but tab (and newline, with Newlines::Keep; CR only before
// a newline) written as a visible escape: "\x1b" for the C0 controls, DEL and bytes that are not
// UTF-8, "\u009b" for the C1 controls. Every other valid UTF-8 character is kept as it is.
std::string terminal_text(std::string_view text, Newlines newlines = Newlines::Escape);

// terminal_text(..., Newlines::Keep) for text that arrives in pieces (a streamed reply): a
// character split between pieces, and a CR whose newline may come next, wait for the next piece.
// Not thread-safe.
class TerminalTextStream {
public:
    // What can be shown of the text so far.
    std::string push(std::string_view piece);
    // The rest, at the end of the text.
    std::string flush();

private:
    Utf8Buffer m_characters;
    bool m_held_cr = false;
};

}  // namespace os1::cli
