// The persona module's public surface: Character Card V2 import and export (JSON and PNG), the
// built-in default persona, lorebook selection, onboarding with the companion naming itself,
// and per-user storage. Other modules include this header only.
//
//   auto card = OS1_TRY(os1::persona::load_card_file("alice.png"));
//   auto lore = os1::persona::select_lore(*card.character_book, last_turns, 400);
#pragma once

#include "persona/card.h"
#include "persona/lorebook.h"
#include "persona/onboarding.h"
#include "persona/persona-store.h"
