// JSON Schema to GBNF without a model: the rules each kind of schema becomes, properties in
// declared order with optional ones optional, recursion through $ref, and the refusals (each an
// InvalidInput error naming the keyword or limit and where it is). That llama.cpp parses these
// grammars and that sampling under them gives matching JSON is tests/model/test-json-grammar.cpp.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "llm/json-grammar.h"

using os1::ErrorKind;
using os1::llm::json_object_grammar;
using os1::llm::json_schema_grammar;
using json = nlohmann::ordered_json;

namespace {

std::string grammar_of(const std::string& schema) {
    auto grammar = json_schema_grammar(json::parse(schema));
    EXPECT_TRUE(grammar) << schema << ": " << (grammar ? "" : grammar.error().message);
    return grammar ? grammar.value() : std::string();
}

// The body of rule `name` in `grammar`, or "" when it has none.
std::string rule(const std::string& grammar, const std::string& name) {
    const std::string start = name + " ::= ";
    size_t at = grammar.rfind("\n" + start);
    at = grammar.starts_with(start) ? 0 : (at == std::string::npos ? at : at + 1);
    if (at == std::string::npos)
        return "";
    const size_t body = at + start.size();
    return grammar.substr(body, grammar.find('\n', body) - body);
}

void expect_refused(const json& schema, const std::string& message) {
    auto grammar = json_schema_grammar(schema);
    ASSERT_TRUE(grammar.is_error()) << schema.dump() << " was accepted:\n" << grammar.value();
    EXPECT_EQ(grammar.error().kind, ErrorKind::InvalidInput);
    EXPECT_NE(grammar.error().message.find(message), std::string::npos)
        << "expected \"" << message << "\" in: " << grammar.error().message;
    EXPECT_TRUE(grammar.error().message.starts_with("json schema: ")) << grammar.error().message;
}

// An object schema nesting `levels` objects below the root, each in property "a".
json nested_objects(int levels) {
    json schema = {{"type", "string"}};
    for (int i = 0; i < levels; ++i)
        schema = {{"type", "object"}, {"properties", {{"a", schema}}}, {"required", {"a"}}};
    return schema;
}

}  // namespace

TEST(JsonGrammar, AnyObject) {
    const std::string grammar = json_object_grammar();
    EXPECT_EQ(rule(grammar, "root"), "object");
    for (const char* name :
         {"object", "member", "value", "array", "string", "char", "number", "integer", "boolean", "null", "ws"})
        EXPECT_FALSE(rule(grammar, name).empty()) << name;
}

TEST(JsonGrammar, PrimitiveTypesUseTheSharedRules) {
    EXPECT_EQ(rule(grammar_of(R"({"type": "string"})"), "root"), "string");
    EXPECT_EQ(rule(grammar_of(R"({"type": "integer"})"), "root"), "integer");
    EXPECT_EQ(rule(grammar_of(R"({"type": "number", "format": "double", "title": "x"})"), "root"), "number");
    EXPECT_EQ(rule(grammar_of(R"({"type": "boolean"})"), "root"), "boolean");
    EXPECT_EQ(rule(grammar_of(R"({})"), "root"), "value");
    EXPECT_EQ(rule(grammar_of(R"(true)"), "root"), "value");
    // Only the rules in use are written.
    const std::string integer = grammar_of(R"({"type": "integer"})");
    EXPECT_EQ(rule(integer, "string"), "");
    EXPECT_EQ(rule(integer, "value"), "");
}

TEST(JsonGrammar, NullableThroughTypeLists) {
    EXPECT_EQ(rule(grammar_of(R"({"type": ["string", "null"]})"), "root"), "( string | null )");
    EXPECT_EQ(rule(grammar_of(R"({"type": ["integer", "null"], "description": "age"})"), "root"), "( integer | null )");
}

TEST(JsonGrammar, StringLengthsAreBounded) {
    EXPECT_EQ(rule(grammar_of(R"({"type": "string", "maxLength": 8})"), "root"), R"("\"" char{0,8} "\"")");
    EXPECT_EQ(rule(grammar_of(R"({"type": "string", "minLength": 2, "maxLength": 2})"), "root"),
              R"("\"" char{2} "\"")");
    EXPECT_EQ(rule(grammar_of(R"({"type": "string", "minLength": 1})"), "root"), R"("\"" char+ "\"")");
}

TEST(JsonGrammar, EnumAndConstSpellTheirValues) {
    EXPECT_EQ(rule(grammar_of(R"({"enum": ["red", "green", 3, null]})"), "root"),
              R"(( "\"red\"" | "\"green\"" | "3" | "null" ))");
    EXPECT_EQ(rule(grammar_of(R"({"const": "a \"quoted\" word"})"), "root"), R"("\"a \\\"quoted\\\" word\"")");
    // With a type, only values of that type are kept.
    EXPECT_EQ(rule(grammar_of(R"({"type": "string", "enum": ["x", 1]})"), "root"), R"("\"x\"")");
    EXPECT_EQ(rule(grammar_of(R"({"type": "integer", "enum": [1.0, 2.5]})"), "root"), R"("1.0")");
}

TEST(JsonGrammar, PropertiesComeInDeclaredOrderAndOptionalOnesMayBeLeftOut) {
    const std::string all_required = grammar_of(R"({
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": false})");
    EXPECT_EQ(rule(all_required, "root"),
              R"("{" ws "\"name\"" ws ":" ws string ws "," ws "\"age\"" ws ":" ws integer ws "}")");

    // a optional, b required, c optional: the object starts with a or b, c may follow.
    const std::string mixed = grammar_of(R"({
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "boolean"}, "c": {"type": "null"}},
        "required": ["b"]})");
    const std::string a = R"("\"a\"" ws ":" ws integer ws)";
    const std::string b = R"("\"b\"" ws ":" ws boolean ws)";
    const std::string c = R"("\"c\"" ws ":" ws null ws)";
    EXPECT_EQ(rule(mixed, "root"),
              R"("{" ws ( )" + a + R"( "," ws )" + b + " root-rest | " + b + R"( root-rest ) "}")");
    EXPECT_EQ(rule(mixed, "root-rest"), R"(( "," ws )" + c + " )?");

    // Nothing required: the object may be empty.
    const std::string optional = grammar_of(R"({"properties": {"a": {"type": "integer"}}})");
    EXPECT_EQ(rule(optional, "root"), R"("{" ws ( )" + a + R"( )? "}")");
}

TEST(JsonGrammar, ObjectsWithoutPropertiesAndNestedValues) {
    EXPECT_EQ(rule(grammar_of(R"({"type": "object"})"), "root"), "object");
    EXPECT_EQ(rule(grammar_of(R"({"type": "object", "additionalProperties": true})"), "root"), "object");
    EXPECT_EQ(rule(grammar_of(R"({"type": "object", "additionalProperties": false})"), "root"), R"("{" ws "}")");

    const std::string nested = grammar_of(R"({
        "type": "object",
        "properties": {"address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
        "required": ["address"]})");
    EXPECT_EQ(rule(nested, "root-address"), R"("{" ws "\"city\"" ws ":" ws string ws "}")");
    EXPECT_NE(rule(nested, "root").find("root-address"), std::string::npos);
}

TEST(JsonGrammar, ArraysWithBounds) {
    EXPECT_EQ(rule(grammar_of(R"({"type": "array"})"), "root"), R"("[" ws ( value ws ( "," ws value ws )* )? "]")");
    EXPECT_EQ(
        rule(grammar_of(R"({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3})"), "root"),
        R"("[" ws integer ws ( "," ws integer ws ){0,2} "]")");
    EXPECT_EQ(rule(grammar_of(R"({"type": "array", "items": {"type": "integer"}, "maxItems": 1})"), "root"),
              R"("[" ws ( integer ws )? "]")");
    EXPECT_EQ(rule(grammar_of(R"({"type": "array", "maxItems": 0})"), "root"), R"("[" ws "]")");
    const std::string objects =
        grammar_of(R"({"type": "array", "items": {"type": "object", "properties": {"x": {}}}})");
    EXPECT_EQ(rule(objects, "root-item"), R"("{" ws ( "\"x\"" ws ":" ws value ws )? "}")");
}

TEST(JsonGrammar, AnyOfAndOneOfAreAlternatives) {
    EXPECT_EQ(rule(grammar_of(R"({"anyOf": [{"type": "string"}, {"type": "integer"}]})"), "root"),
              "( string | integer )");
    EXPECT_EQ(rule(grammar_of(R"({"oneOf": [{"const": 1}, {"type": "null"}], "title": "t"})"), "root"),
              R"(( "1" | null ))");
}

TEST(JsonGrammar, RefsToDefsBecomeRulesAndMayRecurse) {
    const std::string tree = grammar_of(R"({
        "$defs": {"node": {"type": "object",
                           "properties": {"value": {"type": "integer"},
                                          "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
                           "required": ["value"]}},
        "$ref": "#/$defs/node"})");
    EXPECT_EQ(rule(tree, "root"), "def-node");
    EXPECT_NE(rule(tree, "def-node-children").find("def-node"), std::string::npos) << tree;

    const std::string old_style = grammar_of(R"({
        "definitions": {"Point": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}},
        "type": "object",
        "properties": {"from": {"$ref": "#/definitions/Point"}, "to": {"$ref": "#/definitions/Point"}},
        "required": ["from", "to"]})");
    EXPECT_EQ(rule(old_style, "def-point"), R"("[" ws number ws ( "," ws number ws ){1} "]")");
    EXPECT_EQ(rule(old_style, "root"),
              R"("{" ws "\"from\"" ws ":" ws def-point ws "," ws "\"to\"" ws ":" ws def-point ws "}")");
}

TEST(JsonGrammar, UnsupportedKeywordsAreRefusedByName) {
    expect_refused(json::parse(R"({"type": "string", "pattern": "^[a-z]+$"})"), "unsupported keyword 'pattern' at #");
    expect_refused(
        json::parse(R"({"type": "object", "properties": {"zip": {"type": "string", "pattern": "[0-9]{5}"}}})"),
        "unsupported keyword 'pattern' at #/properties/zip");
    expect_refused(json::parse(R"({"type": "integer", "minimum": 0})"), "unsupported keyword 'minimum'");
    expect_refused(json::parse(R"({"allOf": [{"type": "string"}]})"), "unsupported keyword 'allOf'");
    expect_refused(json::parse(R"({"not": {"type": "string"}})"), "unsupported keyword 'not'");
    expect_refused(json::parse(R"({"type": "array", "uniqueItems": true})"), "unsupported keyword 'uniqueItems'");
    expect_refused(json::parse(R"({"type": "array", "items": [{"type": "string"}]})"), "'items' as a list");
    expect_refused(json::parse(R"({"type": "object", "additionalProperties": {"type": "string"}})"),
                   "'additionalProperties' as a schema is not supported");
    expect_refused(json::parse(R"({"type": "object", "properties": {"a": {}}, "additionalProperties": true})"),
                   "'additionalProperties' other than false beside 'properties'");
    expect_refused(json::parse(R"({"$ref": "#/$defs/a", "type": "string", "$defs": {"a": {}}})"),
                   "'$ref' beside 'type' is not supported");
    expect_refused(json::parse(R"({"$ref": "https://example.com/schema.json"})"),
                   "is not supported; refer to #/$defs/NAME");
    expect_refused(json::parse(R"({"$ref": "#/$defs/missing"})"), "names no definition");
    expect_refused(json::parse(R"({"type": "color"})"), "unknown type \"color\"");
    expect_refused(json::parse(R"(false)"), "the schema false allows no value");
    expect_refused(json::parse(R"({"enum": []})"), "'enum' must be a non-empty list");
    expect_refused(json::parse(R"({"type": "integer", "enum": ["a"]})"),
                   "no 'enum' or 'const' value has the declared type");
    expect_refused(json::parse(R"({"type": "object", "properties": {"a": {}}, "required": ["b"]})"),
                   "required property \"b\" is not in 'properties'");
    expect_refused(json::parse(R"({"type": "string", "minLength": 3, "maxLength": 2})"),
                   "minLength is more than maxLength");
    expect_refused(json::parse(R"({"type": "string", "maxLength": 5000})"),
                   "'maxLength' 5000 is more than the 1000 supported");
    expect_refused(json::parse(R"({"type": "array", "maxItems": -1})"), "'maxItems' must be a whole number");
    expect_refused(json::parse(R"(["not", "a", "schema"])"), "a schema must be an object or a boolean, not an array");
}

TEST(JsonGrammar, LeftRecursionIsRefused) {
    expect_refused(json::parse(R"({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"})"),
                   "refers back to itself before any character is written");
    expect_refused(json::parse(R"({"$defs": {"a": {"anyOf": [{"$ref": "#/$defs/b"}, {"type": "null"}]},
                                             "b": {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/a"}]}},
                                   "$ref": "#/$defs/a"})"),
                   "left recursion");
}

TEST(JsonGrammar, NestingDeeperThan32LevelsIsRefused) {
    auto deepest = json_schema_grammar(nested_objects(32));  // the string is 32 levels below the root
    EXPECT_TRUE(deepest) << deepest.error().message;
    expect_refused(nested_objects(33), "schemas nest deeper than 32 levels at #/properties/a/properties/a");

    json deep_value = 1;
    for (int i = 0; i < 200; ++i) {
        json wrapper = json::array();
        wrapper.push_back(std::move(deep_value));
        deep_value = std::move(wrapper);
    }
    expect_refused({{"const", deep_value}}, "an 'enum' or 'const' value nests deeper than 32 levels at #");
}

TEST(JsonGrammar, GrammarsOfMoreThanAThousandRulesAreRefused) {
    json properties = json::object();
    for (int i = 0; i < 1200; ++i)
        properties["p" + std::to_string(i)] = {{"type", "object"}, {"properties", {{"x", {{"type", "integer"}}}}}};
    expect_refused({{"type", "object"}, {"properties", properties}}, "rules allowed; simplify the schema");

    // Below the limit, many properties are fine, and the grammar grows linearly with them.
    json optional = json::object();
    for (int i = 0; i < 400; ++i)
        optional["p" + std::to_string(i)] = {{"type", "integer"}};
    auto grammar = json_schema_grammar({{"type", "object"}, {"properties", optional}});
    ASSERT_TRUE(grammar) << grammar.error().message;
    EXPECT_LT(grammar.value().size(), 100u * 1000u);
}
