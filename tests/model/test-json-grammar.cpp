// The JSON grammars on a real vocabulary (the generated tiny qwen2 model: real tokenizer, random
// weights): llama.cpp parses every grammar json_schema_grammar writes, each grammar accepts JSON
// the schema allows and refuses JSON it does not (checked token by token through llama.cpp's
// grammar sampler), and the engine sampling under it at temperature 0.8 writes JSON that parses
// and has the schema's keys and types, whatever the seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/handles.h"
#include "llm/json-grammar.h"
#include "llm/llm.h"
#include "llm/tokens.h"
#include "support/tiny-engine.h"

using namespace os1;
using namespace os1::llm;
using json = nlohmann::ordered_json;

namespace {

const std::filesystem::path qwen_model = std::filesystem::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-f16.gguf";

// Strings and arrays bounded, and numbers and whitespace bounded by the grammar itself: no
// output the grammar allows is longer than about 1,500 bytes (whitespace of up to 21 bytes in
// each of about 45 places, escapes of up to 12 bytes for each character of the strings).
const char* const person_schema = R"({
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 12},
        "age": {"type": "integer"},
        "mood": {"enum": ["happy", "sad", "calm"]},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 6}, "maxItems": 3},
        "nickname": {"type": ["string", "null"], "maxLength": 8},
        "score": {"type": "number"},
        "pet": {"$ref": "#/$defs/pet"}
    },
    "required": ["name", "age", "mood"],
    "additionalProperties": false,
    "$defs": {
        "pet": {
            "type": "object",
            "properties": {"kind": {"enum": ["cat", "dog"]}, "legs": {"type": "integer"}},
            "required": ["kind"]
        }
    }
})";

const char* const tree_schema = R"({
    "$defs": {"node": {"type": "object",
                       "properties": {"value": {"type": "integer"},
                                      "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
                       "required": ["value"]}},
    "$ref": "#/$defs/node"
})";

const char* const assorted_schema = R"({
    "type": "object",
    "properties": {
        "choice": {"anyOf": [{"type": "boolean"}, {"const": "a \"quoted\" word"}]},
        "pair": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        "code": {"type": "string", "minLength": 2, "maxLength": 3},
        "any": {}
    },
    "required": ["choice", "pair"]
})";

std::string grammar_for(const char* schema) {
    auto grammar = json_schema_grammar(json::parse(schema));
    EXPECT_TRUE(grammar) << (grammar ? "" : grammar.error().message);
    return grammar ? grammar.value() : std::string();
}

class JsonGrammarOnAVocabulary : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        set_llama_logging({});
        llama_backend_init();
        llama_model_params params = llama_model_default_params();
        params.vocab_only = true;
        s_model.reset(llama_model_load_from_file(qwen_model.c_str(), params));
    }
    static void TearDownTestSuite() { s_model.reset(); }

    void SetUp() override { ASSERT_TRUE(s_model) << qwen_model << " did not load"; }

    static const llama_vocab* vocab() { return llama_model_get_vocab(s_model.get()); }

    // Whether `grammar` accepts exactly `text`: each of the text's tokens in turn, then the end.
    static bool accepts(const std::string& grammar, const std::string& text) {
        LlamaSamplerPtr sampler(llama_sampler_init_grammar(vocab(), grammar.c_str(), "root"));
        EXPECT_TRUE(sampler) << "llama.cpp refused the grammar:\n" << grammar;
        if (!sampler)
            return false;
        auto allowed = [&](llama_token token) {
            llama_token_data candidate{token, 0.0f, 0.0f};
            llama_token_data_array candidates{&candidate, 1, -1, false};
            llama_sampler_apply(sampler.get(), &candidates);
            return std::isfinite(candidate.logit);
        };
        for (llama_token token : tokenize(vocab(), text, AddSpecial::No)) {
            if (!allowed(token))
                return false;
            llama_sampler_accept(sampler.get(), token);
        }
        llama_token end = llama_vocab_eos(vocab());
        if (end == LLAMA_TOKEN_NULL)
            end = llama_vocab_eot(vocab());
        return allowed(end);
    }

    static inline LlamaModelPtr s_model;
};

// What is wrong with `text` as a value of person_schema, checked by hand; empty when nothing.
std::string person_problems(const std::string& text) {
    const json value = json::parse(text, nullptr, false);
    if (value.is_discarded())
        return "not JSON";
    if (!value.is_object())
        return "not an object";
    auto characters = [](const std::string& s) {
        return size_t(
            std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
    };
    auto short_string = [&](const json& v, size_t limit) {
        return v.is_string() && characters(v.get<std::string>()) <= limit;
    };
    const std::vector<std::string> order = {"name", "age", "mood", "tags", "nickname", "score", "pet"};
    size_t next = 0;
    for (const auto& [key, member] : value.items()) {
        auto at = std::find(order.begin() + long(next), order.end(), key);
        if (at == order.end())
            return "unexpected or misplaced key \"" + key + "\"";
        next = size_t(at - order.begin()) + 1;
    }
    for (const char* key : {"name", "age", "mood"}) {
        if (!value.contains(key))
            return std::string("no \"") + key + "\"";
    }
    if (!short_string(value["name"], 12))
        return "bad name";
    if (!value["age"].is_number_integer())
        return "bad age";
    if (value["mood"] != "happy" && value["mood"] != "sad" && value["mood"] != "calm")
        return "bad mood";
    if (value.contains("tags")) {
        const json& tags = value["tags"];
        if (!tags.is_array() || tags.size() > 3 ||
            !std::all_of(tags.begin(), tags.end(), [&](const json& tag) { return short_string(tag, 6); }))
            return "bad tags";
    }
    if (value.contains("nickname") && !value["nickname"].is_null() && !short_string(value["nickname"], 8))
        return "bad nickname";
    if (value.contains("score") && !value["score"].is_number())
        return "bad score";
    if (value.contains("pet")) {
        const json& pet = value["pet"];
        if (!pet.is_object() || !pet.contains("kind") || (pet["kind"] != "cat" && pet["kind"] != "dog"))
            return "bad pet";
        for (const auto& [key, member] : pet.items()) {
            if (key != "kind" && (key != "legs" || !member.is_number_integer()))
                return "bad pet member \"" + key + "\"";
        }
    }
    return "";
}

}  // namespace

TEST_F(JsonGrammarOnAVocabulary, LlamaCppParsesEveryGrammar) {
    std::vector<std::string> grammars = {json_object_grammar()};
    for (const char* schema :
         {person_schema, tree_schema, assorted_schema, R"({"type": "string"})", R"(true)",
          R"({"type": ["integer", "null"]})", R"({"enum": [1, "two", null, [3], {"four": 4}]})",
          R"({"type": "array", "maxItems": 0})", R"({"type": "object", "additionalProperties": false})"})
        grammars.push_back(grammar_for(schema));
    for (const std::string& grammar : grammars) {
        LlamaSamplerPtr sampler(llama_sampler_init_grammar(vocab(), grammar.c_str(), "root"));
        EXPECT_TRUE(sampler) << "llama.cpp refused:\n" << grammar;
    }
}

TEST_F(JsonGrammarOnAVocabulary, AnyObject) {
    const std::string grammar = json_object_grammar();
    for (const char* text :
         {R"({})", R"({"a": 1})", R"({"a": [1, -2.5e3, "x\n\u00e9\ud83d\ude00", null, true, {"b": {}}]})",
          "{\n  \"nested\": {\"deep\": [[], [{}]]},\n  \"t\": false\n}"})
        EXPECT_TRUE(accepts(grammar, text)) << text;
    for (const char* text : {R"([1])", R"("x")", R"({"a" 1})", R"({"a": 01})", R"({"a": 1,})", R"({'a': 1})",
                             R"({"a": "\ud800"})", R"({"a": 1} x)", R"({"a": 1)"})
        EXPECT_FALSE(accepts(grammar, text)) << text;
}

TEST_F(JsonGrammarOnAVocabulary, TheSchemasValuesAndNoOthers) {
    const std::string person = grammar_for(person_schema);
    for (const char* text : {
             R"({"name": "Ada", "age": 36, "mood": "calm"})",
             R"({"name":"","age":-1,"mood":"sad","tags":[],"nickname":null})",
             "{\n  \"name\": \"Ada\",\n  \"age\": 36,\n  \"mood\": \"happy\",\n  \"tags\": [\"a\", \"bb\", \"ccc\"],\n"
             "  \"nickname\": \"Lovelace\",\n  \"score\": 1.5e3,\n  \"pet\": {\"kind\": \"cat\", \"legs\": 4}\n}",
             R"({"name": "Ada", "age": 36, "mood": "calm", "pet": {"kind": "dog"}})",
         }) {
        EXPECT_TRUE(accepts(person, text)) << text;
        EXPECT_EQ(person_problems(text), "") << text;
    }
    for (const char* text : {
             R"({"name": "Ada", "mood": "calm"})",                     // no age
             R"({"age": 36, "name": "Ada", "mood": "calm"})",          // out of declared order
             R"({"name": "Ada", "age": 36, "mood": "calm", "x": 1})",  // another property
             R"({"name": "Ada", "age": "36", "mood": "calm"})",        // age not an integer
             R"({"name": "Ada", "age": 36.5, "mood": "calm"})",
             R"({"name": "Ada", "age": 36, "mood": "angry"})",                               // not in the enum
             R"({"name": "Ada", "age": 36, "mood": "calm", "tags": ["a", "b", "c", "d"]})",  // four tags
             R"({"name": "Ada Lovelace Byron", "age": 36, "mood": "calm"})",                 // name too long
             R"({"name": "Ada", "age": 36, "mood": "calm", "pet": {"legs": 4}})",            // pet without kind
             R"({"name": "Ada", "age": 36, "mood": "calm"} )",                               // after the end
         })
        EXPECT_FALSE(accepts(person, text)) << text;

    const std::string tree = grammar_for(tree_schema);
    EXPECT_TRUE(accepts(tree, R"({"value": 1, "children": [{"value": 2, "children": []}, {"value": 3}]})"));
    EXPECT_FALSE(accepts(tree, R"({"value": 1, "children": [{}]})"));

    const std::string assorted = grammar_for(assorted_schema);
    EXPECT_TRUE(accepts(assorted, R"({"choice": true, "pair": [1, 2.5], "code": "ab", "any": {"x": [null]}})"));
    EXPECT_TRUE(accepts(assorted, R"({"choice": "a \"quoted\" word", "pair": [0, -0.5]})"));
    EXPECT_FALSE(accepts(assorted, R"({"choice": "a quoted word", "pair": [0, 1]})"));
    EXPECT_FALSE(accepts(assorted, R"({"choice": false, "pair": [0]})"));
    EXPECT_FALSE(accepts(assorted, R"({"choice": false, "pair": [0, 1], "code": "abcd"})"));
}

// Sampling, not greedy: the random-weight model picks among everything the grammar allows.
TEST(JsonGrammarSampling, EveryReplyIsJsonWithTheSchemasKeysAndTypes) {
    set_llama_logging({});
    auto engine = open_local_engine(tiny_engine_options(4096));
    ASSERT_TRUE(engine) << engine.error().message;
    const std::string grammar = grammar_for(person_schema);
    for (uint32_t seed : {1u, 2u, 3u, 4u}) {
        ChatRequest request;
        request.messages = {{"user", "Describe a person as JSON."}};
        request.sampling.temperature = 0.8f;
        request.sampling.seed = seed;
        request.sampling.max_tokens = 2048;  // every token is at least a byte: no reply is cut short
        request.grammar = grammar;
        ReplyStats stats;
        auto text = engine.value()->submit(request)->collect(&stats);
        ASSERT_TRUE(text) << text.error().message;
        EXPECT_EQ(stats.stop_reason, StopReason::EndOfGeneration) << "seed " << seed << ": " << text.value();
        EXPECT_EQ(person_problems(text.value()), "") << "seed " << seed << ": " << text.value();
    }
}
