// JSON Schema to GBNF. Each schema becomes an expression; objects' property values, array items
// and $ref targets get named rules, so that every part of the schema is written once and
// recursive definitions refer to themselves by name. The grammar may accept fewer values than
// the schema (an absent additionalProperties closes the object, numbers have bounded digits) but
// never a value the schema refuses, with the exceptions the header names (oneOf, format, enum).
#include "llm/json-grammar.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/utf8.h"

namespace os1::llm {

namespace {

using json = nlohmann::ordered_json;

// The most grammar text written: far beyond what a real schema needs, and little enough for
// llama.cpp to parse at once.
constexpr size_t k_max_grammar_bytes = 1u << 20;

// The shared rules, in the order they are written, each with the rules it refers to.
struct Primitive {
    const char* name;
    const char* body;
    std::vector<const char*> uses;
};

const std::vector<Primitive>& primitives() {
    // Whitespace is bounded so that a model cannot pad a reply forever; numbers carry at most the
    // digits a double holds, for the same reason.
    static const std::vector<Primitive> list = {
        {"value",
         R"(object | array | string | number | boolean | null)",
         {"object", "array", "string", "number", "boolean", "null"}},
        {"object", R"("{" ws ( member ( "," ws member )* )? "}")", {"ws", "member"}},
        {"member", R"(string ws ":" ws value ws)", {"string", "ws", "value"}},
        {"array", R"("[" ws ( value ws ( "," ws value ws )* )? "]")", {"ws", "value"}},
        {"string", R"("\"" char* "\"")", {"char"}},
        // A \u escape of a UTF-16 surrogate comes in a pair, so that strict parsers accept it.
        {"char", R"([^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" escape ))", {"escape"}},
        {"escape",
         R"([0-9a-cA-Ce-fE-F] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2} | )"
         R"([dD] [89abAB] [0-9a-fA-F]{2} "\\u" [dD] [c-fC-F] [0-9a-fA-F]{2})",
         {}},
        {"number", R"(integer ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,3} )?)", {"integer"}},
        {"integer", R"("-"? ( "0" | [1-9] [0-9]{0,15} ))", {}},
        {"boolean", R"("true" | "false")", {}},
        {"null", R"("null")", {}},
        {"ws", R"(| " " | "\n" [ \t]{0,20})", {}},
    };
    return list;
}

// Constraint keywords this converter does not implement. Ignoring one would let the model write
// values the schema refuses, so each is an error. Unknown keywords are annotations and ignored.
// clang-format off
const char* const k_unsupported[] = {
    "pattern", "patternProperties", "propertyNames", "minProperties", "maxProperties", "dependentRequired",
    "dependentSchemas", "dependencies", "unevaluatedProperties", "unevaluatedItems", "prefixItems",
    "additionalItems", "contains", "minContains", "maxContains", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "allOf", "not", "if", "then", "else", "$dynamicRef", "$recursiveRef",
};

// Keywords that give a schema its shape; $ref, anyOf and oneOf stand alone, beside nothing else.
const char* const k_shape_keywords[] = {
    "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
    "minLength", "maxLength", "enum", "const", "anyOf", "oneOf", "$ref",
};
// clang-format on

// A GBNF string literal spelling `text` exactly.
std::string literal(std::string_view text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out = "\"";
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (byte < 0x20 || byte == 0x7F) {
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// The compact JSON text of a value, as a model must write an enum or const value.
std::string json_text(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// "{m,n}" and its short forms; max == SIZE_MAX means unbounded.
std::string repetition(size_t min, size_t max) {
    constexpr size_t unbounded = SIZE_MAX;
    if (min == 0 && max == unbounded)
        return "*";
    if (min == 1 && max == unbounded)
        return "+";
    if (min == 0 && max == 1)
        return "?";
    if (max == unbounded)
        return "{" + std::to_string(min) + ",}";
    if (min == max)
        return "{" + std::to_string(min) + "}";
    return "{" + std::to_string(min) + "," + std::to_string(max) + "}";
}

// A rule name from a hint: lowercase letters, digits and dashes, as GBNF requires.
std::string rule_name_from(std::string_view hint) {
    std::string name;
    for (char c : hint.substr(0, 120)) {
        if (c >= 'A' && c <= 'Z')
            name += char(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
            name += c;
        else if (name.empty() || name.back() != '-')
            name += '-';
    }
    return name.empty() ? "rule" : name;
}

// One segment of a JSON pointer.
std::string pointer_segment(std::string_view segment) {
    std::string out;
    for (char c : segment) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

std::string unescape_pointer_segment(std::string_view segment) {
    std::string out;
    for (size_t i = 0; i < segment.size(); ++i) {
        if (segment[i] == '~' && i + 1 < segment.size() && (segment[i + 1] == '0' || segment[i + 1] == '1')) {
            out += segment[i + 1] == '0' ? '~' : '/';
            ++i;
        } else {
            out += segment[i];
        }
    }
    return out;
}

const char* json_type_name(const json& value) {
    switch (value.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::string:
            return "a string";
        case json::value_t::array:
            return "an array";
        case json::value_t::object:
            return "an object";
        case json::value_t::discarded:
            return "nothing";
        default:
            return "a number";
    }
}

// Whether `value` nests arrays and objects more than `limit` deep; looks no deeper than that, so
// that a hostile value cannot exhaust the stack here or in dump().
bool nests_deeper_than(const json& value, int limit) {
    if (!value.is_structured())
        return false;
    if (limit <= 0)
        return true;
    return std::any_of(value.begin(), value.end(),
                       [&](const json& element) { return nests_deeper_than(element, limit - 1); });
}

bool is_whole_number(const json& value) {
    if (value.is_number_integer())
        return true;
    if (!value.is_number_float())
        return false;
    double number = value.get<double>();
    return std::isfinite(number) && std::floor(number) == number;
}

bool value_has_type(const json& value, const std::string& type) {
    if (type == "null")
        return value.is_null();
    if (type == "boolean")
        return value.is_boolean();
    if (type == "integer")
        return is_whole_number(value);
    if (type == "number")
        return value.is_number();
    if (type == "string")
        return value.is_string();
    if (type == "array")
        return value.is_array();
    return type == "object" && value.is_object();
}

class SchemaConverter {
public:
    explicit SchemaConverter(const json& document) : m_document(document) {
        m_names.insert("root");
        for (const Primitive& primitive : primitives())
            m_names.insert(primitive.name);
    }

    ErrorOr<std::string> convert() {
        std::string top = OS1_TRY(expression(m_document, "root", 0, "#", {}));
        std::string grammar = "root ::= " + top + "\n";
        for (const Rule& rule : m_rules)
            grammar += rule.name + " ::= " + rule.body + "\n";
        grammar += primitive_rules(m_used);
        const size_t rule_count = size_t(std::count(grammar.begin(), grammar.end(), '\n'));
        if (rule_count > k_max_grammar_rules)
            return too_large(std::to_string(rule_count) + " rules, more than the " +
                             std::to_string(k_max_grammar_rules) + " allowed");
        if (grammar.size() > k_max_grammar_bytes)
            return too_large(std::to_string(grammar.size()) + " bytes, more than the " +
                             std::to_string(k_max_grammar_bytes) + " allowed");
        return grammar;
    }

    // The primitive rules in `used` and what they refer to, in their fixed order.
    static std::string primitive_rules(std::set<std::string> used) {
        for (bool grew = true; grew;) {
            grew = false;
            for (const Primitive& primitive : primitives()) {
                if (!used.contains(primitive.name))
                    continue;
                for (const char* dependency : primitive.uses)
                    grew = used.insert(dependency).second || grew;
            }
        }
        std::string text;
        for (const Primitive& primitive : primitives()) {
            if (used.contains(primitive.name))
                text += std::string(primitive.name) + " ::= " + primitive.body + "\n";
        }
        return text;
    }

private:
    struct Rule {
        std::string name;
        std::string body;
    };

    static Error invalid(const std::string& message, const std::string& where) {
        return make_error(ErrorKind::InvalidInput, "json schema: " + message + " at " + clip_utf8(where, 200, "..."));
    }

    static Error too_large(const std::string& size) {
        return make_error(ErrorKind::InvalidInput,
                          "json schema: the grammar would have " + size + "; simplify the schema");
    }

    ErrorOr<std::string> new_rule(const std::string& hint, std::string body) {
        if (m_rules.size() + 1 >= k_max_grammar_rules)
            return too_large("more than the " + std::to_string(k_max_grammar_rules) + " rules allowed");
        std::string base = rule_name_from(hint);
        std::string name = base;
        for (int suffix = 2; m_names.contains(name); ++suffix)
            name = base + "-" + std::to_string(suffix);
        m_names.insert(name);
        m_rules.push_back({name, std::move(body)});
        return name;
    }

    std::string use(const char* primitive) {
        m_used.insert(primitive);
        return primitive;
    }

    // A name for the schema's values: the expression itself when it is a rule name already.
    ErrorOr<std::string> named(const json& schema, const std::string& hint, int depth, const std::string& where,
                               const std::vector<std::string>& head) {
        std::string body = OS1_TRY(expression(schema, hint, depth, where, head));
        if (!m_names.contains(body))
            return new_rule(hint, std::move(body));
        return body;
    }

    // `head` holds the $refs entered since the last character the grammar consumes; meeting one
    // of them again would be left recursion, which llama.cpp's grammar parser refuses.
    ErrorOr<std::string> expression(const json& schema, const std::string& hint, int depth, const std::string& where,
                                    const std::vector<std::string>& head) {
        if (depth > k_max_schema_depth)
            return invalid("schemas nest deeper than " + std::to_string(k_max_schema_depth) + " levels", where);
        if (schema.is_boolean()) {
            if (!schema.get<bool>())
                return invalid("the schema false allows no value", where);
            return use("value");
        }
        if (!schema.is_object())
            return invalid(std::string("a schema must be an object or a boolean, not ") + json_type_name(schema),
                           where);
        for (const char* keyword : k_unsupported) {
            if (schema.contains(keyword))
                return invalid(std::string("unsupported keyword '") + keyword + "'", where);
        }
        if (schema.contains("uniqueItems") && schema["uniqueItems"] != false)
            return invalid("unsupported keyword 'uniqueItems'", where);

        for (const char* alone : {"$ref", "anyOf", "oneOf"}) {
            if (!schema.contains(alone))
                continue;
            for (const char* other : k_shape_keywords) {
                if (std::string_view(other) != alone && schema.contains(other))
                    return invalid(std::string("'") + alone + "' beside '" + other + "' is not supported", where);
            }
        }
        if (schema.contains("$ref"))
            return reference(schema["$ref"], depth, where, head);
        if (schema.contains("anyOf"))
            return alternatives(schema["anyOf"], "anyOf", hint, depth, where, head);
        if (schema.contains("oneOf"))
            return alternatives(schema["oneOf"], "oneOf", hint, depth, where, head);

        std::vector<std::string> types = OS1_TRY(types_of(schema, where));
        if (schema.contains("const") || schema.contains("enum"))
            return listed_values(schema, types, where);
        if (types.empty())
            return use("value");
        std::vector<std::string> branches;
        for (const std::string& type : types)
            branches.push_back(OS1_TRY(typed(schema, type, hint, depth, where)));
        if (branches.size() == 1)
            return branches.front();
        std::string joined;
        for (const std::string& branch : branches)
            joined += (joined.empty() ? "( " : " | ") + branch;
        return joined + " )";
    }

    // The declared types, or those the keywords imply; empty: any value.
    ErrorOr<std::vector<std::string>> types_of(const json& schema, const std::string& where) {
        static const std::set<std::string> known = {"null",   "boolean", "integer", "number",
                                                    "string", "array",   "object"};
        std::vector<std::string> types;
        if (schema.contains("type")) {
            const json& type = schema["type"];
            std::vector<json> names;
            if (type.is_string())
                names.push_back(type);
            else if (type.is_array())
                names.assign(type.begin(), type.end());
            if (names.empty())
                return invalid("'type' must be a type name or a non-empty list of them", where);
            for (const json& name : names) {
                if (!name.is_string())
                    return invalid("'type' must be a type name or a non-empty list of them", where);
                if (!known.contains(name.get<std::string>()))
                    return invalid("unknown type " + json_text(name), where);
                if (std::find(types.begin(), types.end(), name.get<std::string>()) == types.end())
                    types.push_back(name.get<std::string>());
            }
            return types;
        }
        if (schema.contains("enum") || schema.contains("const"))
            return types;
        // Without a type, the keywords constrain only values of their own type; writing a value of
        // that type keeps within the schema.
        for (const char* keyword : {"properties", "required", "additionalProperties"}) {
            if (schema.contains(keyword))
                types.push_back("object");
        }
        for (const char* keyword : {"items", "minItems", "maxItems"}) {
            if (schema.contains(keyword))
                types.push_back("array");
        }
        for (const char* keyword : {"minLength", "maxLength"}) {
            if (schema.contains(keyword))
                types.push_back("string");
        }
        types.erase(std::unique(types.begin(), types.end()), types.end());
        if (types.size() > 1)
            return invalid("keywords of several types without a 'type' are not supported; add one", where);
        return types;
    }

    ErrorOr<std::string> typed(const json& schema, const std::string& type, const std::string& hint, int depth,
                               const std::string& where) {
        if (type == "object")
            return object(schema, hint, depth, where);
        if (type == "array")
            return array(schema, hint, depth, where);
        if (type == "string")
            return string(schema, where);
        if (type == "integer")
            return use("integer");
        if (type == "number")
            return use("number");
        if (type == "boolean")
            return use("boolean");
        return use("null");
    }

    // A whole number in [0, k_max_schema_repeat], or `fallback` when the keyword is absent.
    ErrorOr<size_t> count(const json& schema, const char* keyword, size_t fallback, const std::string& where) {
        if (!schema.contains(keyword))
            return fallback;
        const json& value = schema[keyword];
        if (!is_whole_number(value) || value.get<double>() < 0)
            return invalid(std::string("'") + keyword + "' must be a whole number of 0 or more", where);
        if (value.get<double>() > double(k_max_schema_repeat))
            return invalid(std::string("'") + keyword + "' " + json_text(value) + " is more than the " +
                               std::to_string(k_max_schema_repeat) + " supported",
                           where);
        return size_t(value.get<double>());
    }

    ErrorOr<std::string> string(const json& schema, const std::string& where) {
        const size_t min = OS1_TRY(count(schema, "minLength", 0, where));
        const size_t max = OS1_TRY(count(schema, "maxLength", SIZE_MAX, where));
        if (min > max)
            return invalid("minLength is more than maxLength, which allows no string", where);
        if (min == 0 && max == SIZE_MAX)
            return use("string");
        return R"("\"" )" + use("char") + repetition(min, max) + R"( "\"")";
    }

    ErrorOr<std::string> array(const json& schema, const std::string& hint, int depth, const std::string& where) {
        const size_t min = OS1_TRY(count(schema, "minItems", 0, where));
        const size_t max = OS1_TRY(count(schema, "maxItems", SIZE_MAX, where));
        if (min > max)
            return invalid("minItems is more than maxItems, which allows no array", where);
        std::string item;
        if (!schema.contains("items")) {
            item = use("value");
        } else if (schema["items"].is_array()) {
            return invalid("'items' as a list (tuples) is not supported", where);
        } else {
            item = OS1_TRY(named(schema["items"], hint + "-item", depth + 1, where + "/items", {}));
        }
        const std::string ws = use("ws");
        if (max == 0)
            return R"("[" )" + ws + R"( "]")";
        const std::string first = item + " " + ws;
        const std::string next = R"(( "," )" + ws + " " + item + " " + ws + " )";
        const size_t more_min = min == 0 ? 0 : min - 1;
        const size_t more_max = max == SIZE_MAX ? SIZE_MAX : max - 1;
        std::string items = first;
        if (more_max > 0)
            items += " " + next + repetition(more_min, more_max);
        if (min == 0)
            items = "( " + items + " )?";
        return R"("[" )" + ws + " " + items + R"( "]")";
    }

    ErrorOr<std::string> object(const json& schema, const std::string& hint, int depth, const std::string& where) {
        const json* properties = schema.contains("properties") ? &schema["properties"] : nullptr;
        if (properties && !properties->is_object())
            return invalid("'properties' must be an object", where);
        bool closed = true;
        if (schema.contains("additionalProperties")) {
            const json& additional = schema["additionalProperties"];
            if (additional.is_object() && !additional.empty())
                return invalid("'additionalProperties' as a schema is not supported; use false", where);
            if (!additional.is_boolean() && !additional.is_object())
                return invalid("'additionalProperties' must be false, true or a schema", where);
            closed = additional.is_boolean() && !additional.get<bool>();
        }
        std::set<std::string> required;
        if (schema.contains("required")) {
            const json& names = schema["required"];
            if (!names.is_array())
                return invalid("'required' must be a list of property names", where);
            for (const json& name : names) {
                if (!name.is_string())
                    return invalid("'required' must be a list of property names", where);
                if (!properties || !properties->contains(name.get<std::string>()))
                    return invalid("required property " + json_text(name) + " is not in 'properties'", where);
                required.insert(name.get<std::string>());
            }
        }
        if (!properties) {
            if (!closed)
                return use("object");
            // No properties named and no others allowed: the schema still says "an object"; only
            // an explicit false closes it to {}.
            if (!schema.contains("additionalProperties"))
                return use("object");
            return R"("{" )" + use("ws") + R"( "}")";
        }
        if (!closed)
            return invalid("'additionalProperties' other than false beside 'properties' is not supported", where);

        const std::string ws = use("ws");
        struct Member {
            std::string text;  // "\"name\"" ws ":" ws value ws
            bool required = false;
        };
        std::vector<Member> members;
        for (const auto& [name, property] : properties->items()) {
            const std::string value = OS1_TRY(
                named(property, hint + "-" + name, depth + 1, where + "/properties/" + pointer_segment(name), {}));
            members.push_back({literal(json_text(json(name))) + " " + ws + R"( ":" )" + ws + " " + value + " " + ws,
                               required.contains(name)});
        }
        if (members.empty())
            return R"("{" )" + ws + R"( "}")";
        return R"("{" )" + ws + " " + OS1_TRY(member_sequence(members, hint)) + R"( "}")";
    }

    // Members in declared order, each optional one possibly absent, with commas only between
    // those present. The first member written is one of the optional ones before the first
    // required one, or that required one; after it, each later member comes with its comma.
    // `rest[i]` (members i.. after something was written) becomes a rule where two alternatives
    // share it, so the grammar grows linearly with the number of members.
    template <typename Member>
    ErrorOr<std::string> member_sequence(const std::vector<Member>& members, const std::string& hint) {
        const size_t n = members.size();
        size_t first_required = n;
        for (size_t i = 0; i < n; ++i) {
            if (members[i].required) {
                first_required = i;
                break;
            }
        }
        const size_t leading = std::min(first_required + 1, n);  // members that may be written first
        const std::string comma = R"("," )" + use("ws") + " ";
        std::vector<std::string> rest(n + 1);
        for (size_t i = n; i-- > 0;) {
            const Member& member = members[i];
            std::string body = member.required ? comma + member.text : "( " + comma + member.text + " )?";
            if (!rest[i + 1].empty())
                body += " " + rest[i + 1];
            // rest[i] is referred to by the alternative before it and by rest[i - 1].
            if (i >= 2 && i <= leading)
                body = OS1_TRY(new_rule(hint + "-rest", body));
            rest[i] = std::move(body);
        }
        std::string alternatives;
        for (size_t i = 0; i < leading; ++i) {
            std::string alternative = members[i].text;
            if (!rest[i + 1].empty())
                alternative += " " + rest[i + 1];
            alternatives += (alternatives.empty() ? "" : " | ") + alternative;
        }
        if (first_required == n)
            return "( " + alternatives + " )?";
        return leading == 1 ? alternatives : "( " + alternatives + " )";
    }

    ErrorOr<std::string> alternatives(const json& list, const char* keyword, const std::string& hint, int depth,
                                      const std::string& where, const std::vector<std::string>& head) {
        if (!list.is_array() || list.empty())
            return invalid(std::string("'") + keyword + "' must be a non-empty list of schemas", where);
        std::string joined;
        for (size_t i = 0; i < list.size(); ++i) {
            std::string branch = OS1_TRY(expression(list[i], hint + "-" + std::to_string(i + 1), depth + 1,
                                                    where + "/" + keyword + "/" + std::to_string(i), head));
            joined += (joined.empty() ? "( " : " | ") + branch;
        }
        return joined + " )";
    }

    // Values listed by "const" or "enum", of the declared types when "type" is given.
    ErrorOr<std::string> listed_values(const json& schema, const std::vector<std::string>& types,
                                       const std::string& where) {
        std::vector<json> values;
        if (schema.contains("enum")) {
            const json& list = schema["enum"];
            if (!list.is_array() || list.empty())
                return invalid("'enum' must be a non-empty list of values", where);
            values.assign(list.begin(), list.end());
        }
        if (schema.contains("const")) {
            const json& constant = schema["const"];
            if (schema.contains("enum") && std::find(values.begin(), values.end(), constant) == values.end())
                return invalid("'const' is not among the 'enum' values, which allows no value", where);
            values = {constant};
        }
        std::vector<std::string> texts;
        for (const json& value : values) {
            if (nests_deeper_than(value, k_max_schema_depth))
                return invalid(
                    "an 'enum' or 'const' value nests deeper than " + std::to_string(k_max_schema_depth) + " levels",
                    where);
            bool typed = types.empty() || std::any_of(types.begin(), types.end(),
                                                      [&](const std::string& t) { return value_has_type(value, t); });
            std::string text = literal(json_text(value));
            if (typed && std::find(texts.begin(), texts.end(), text) == texts.end())
                texts.push_back(std::move(text));
        }
        if (texts.empty())
            return invalid("no 'enum' or 'const' value has the declared type, which allows no value", where);
        if (texts.size() == 1)
            return texts.front();
        std::string joined;
        for (const std::string& text : texts)
            joined += (joined.empty() ? "( " : " | ") + text;
        return joined + " )";
    }

    ErrorOr<std::string> reference(const json& target, int depth, const std::string& where,
                                   std::vector<std::string> head) {
        if (!target.is_string())
            return invalid("'$ref' must be a string", where);
        const std::string ref = target.get<std::string>();
        if (std::find(head.begin(), head.end(), ref) != head.end())
            return invalid("'$ref' " + json_text(target) +
                               " refers back to itself before any character is written (left recursion)",
                           where);
        if (auto known = m_refs.find(ref); known != m_refs.end())
            return known->second;

        std::string container;
        for (const char* prefix : {"#/$defs/", "#/definitions/"}) {
            if (ref.starts_with(prefix))
                container = std::string(prefix).substr(2, std::string(prefix).size() - 3);
        }
        const std::string segment = container.empty() ? "" : ref.substr(container.size() + 3);
        if (container.empty() || segment.empty() || segment.find('/') != std::string::npos)
            return invalid(
                "'$ref' " + json_text(target) + " is not supported; refer to #/$defs/NAME or #/definitions/NAME",
                where);
        const std::string name = unescape_pointer_segment(segment);
        if (!m_document.is_object() || !m_document.contains(container) || !m_document[container].is_object() ||
            !m_document[container].contains(name))
            return invalid("'$ref' " + json_text(target) + " names no definition", where);

        // The rule is named before its body is converted, so that recursion refers to it.
        std::string rule = OS1_TRY(new_rule("def-" + name, ""));
        const size_t index = m_rules.size() - 1;
        m_refs[ref] = rule;
        head.push_back(ref);
        std::string body = OS1_TRY(expression(m_document[container][name], rule, depth + 1, ref, head));
        m_rules[index].body = std::move(body);
        return rule;
    }

    const json& m_document;
    std::vector<Rule> m_rules;
    std::set<std::string> m_names;              // every rule name taken, primitives included
    std::set<std::string> m_used;               // primitive rules referred to
    std::map<std::string, std::string> m_refs;  // $ref -> its rule
};

}  // namespace

std::string json_object_grammar() {
    return "root ::= object\n" + SchemaConverter::primitive_rules({"object"});
}

ErrorOr<std::string> json_schema_grammar(const nlohmann::ordered_json& schema) {
    try {
        return SchemaConverter(schema).convert();
    } catch (const nlohmann::json::exception& exception) {
        return make_error(ErrorKind::InvalidInput,
                          std::string("json schema: cannot be read (") + exception.what() + ")");
    }
}

}  // namespace os1::llm
