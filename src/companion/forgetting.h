// Internal to the companion module: forgetting, as every front end asks for it. It removes what
// memory.h says forgetting removes, redacts the journal, and drops the engine's caches that may
// hold the text: those of the conversations that lost a turn and those of every other
// conversation of the user, whose prompts may have quoted the memory as recalled.
#pragma once

#include <cstdint>

#include "companion/host-core.h"
#include "companion/user-session.h"
#include "core/error.h"
#include "memory/memory.h"

namespace os1::companion {

// Forgets memory `id`; false when there is none. Called with the user's strand held.
ErrorOr<bool> forget_memory(HostCore& core, UserSession& user, int64_t id);

// Forgets everything the user said and everything learned from it (the companion's own
// persona and name stay). Called with the user's strand held.
ErrorOr<memory::ForgetReport> forget_everything(HostCore& core, UserSession& user);

}  // namespace os1::companion
