// JSON as GBNF grammars (root rule "root") for ChatRequest::grammar: any JSON object, for an
// OpenAI-style response_format "json_object", or the values a JSON Schema allows, for
// "json_schema".
//
// Thread-safety: pure functions, safe from any thread; a grammar accepts only values the schema
// allows (except where noted below), and unsupported schemas are InvalidInput errors.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/error.h"

namespace os1::llm {

// Limits on a schema, beyond which json_schema_grammar refuses it.
inline constexpr int k_max_schema_depth = 32;        // nested schemas, counting $ref hops
inline constexpr size_t k_max_grammar_rules = 1000;  // rules in the generated grammar
inline constexpr size_t k_max_schema_repeat = 1000;  // minLength, maxLength, minItems, maxItems

// Any JSON object, with values of every kind nested inside.
std::string json_object_grammar();

// The JSON values `schema` allows, as a grammar. Supported: "type" (a name or a list of names,
// so ["string", "null"] is nullable), "properties" with "required" (properties come in declared
// order, so parse with nlohmann::ordered_json to keep it; optional ones may be left out) and
// "additionalProperties" false or absent (both mean no other properties), "items", "minItems",
// "maxItems", "minLength", "maxLength", "enum", "const", "anyOf", "oneOf" (treated as anyOf),
// and "$ref" to "#/$defs/NAME" or "#/definitions/NAME", recursion included. "format" and
// annotations ("title", "description", "default", ...) are ignored; enum and const values are
// taken as given. Numbers have at most 16 digits before and after the point, as in a double.
// Constraint keywords beyond these ("pattern", "minimum", "allOf", ...), schemas nested deeper
// than k_max_schema_depth and grammars of more than k_max_grammar_rules rules are
// ErrorKind::InvalidInput errors that name the keyword or limit and where it is ("#/properties/zip").
ErrorOr<std::string> json_schema_grammar(const nlohmann::ordered_json& schema);

}  // namespace os1::llm
