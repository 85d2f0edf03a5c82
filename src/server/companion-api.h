// The companion API (/api/..., JSON): chat with streamed events (text, the mood before and
// after, the recalled memories), conversations, memory (search, list, show with provenance,
// edit, forget, forget everything, export, core blocks), mood, relationship, journal and
// persona. Handlers only translate: every operation is the same library call that the CLI
// makes, on the caller's own companion (UserScope).
#pragma once

#include "server/router.h"

namespace os1::server {

void add_companion_routes(Router& router);

}  // namespace os1::server
