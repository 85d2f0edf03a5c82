// Asks the model how a user message feels (affect's instructions and grammar) and checks the
// reply strictly. It waits for the model, so it runs off the hot path, after the reply.
#pragma once

#include <string_view>

#include "affect/appraisal.h"
#include "core/error.h"
#include "llm/llm.h"

namespace os1::companion {

// The request: greedy, grammar-constrained, the message quoted as the user turn.
llm::ChatRequest model_appraisal_request(std::string_view text);

// Sends the request and validates the reply; the error says why the appraisal was rejected.
ErrorOr<affect::Appraisal> appraise_with_model(llm::Backend& backend, std::string_view text);

}  // namespace os1::companion
