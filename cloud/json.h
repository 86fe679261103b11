// Reads the top-level string and number fields of a flat JSON object: all that the metadata
// services answer with (IMDS and ECS credentials, Azure's and GCE's tokens). RapidJSON's
// iterative reader does the parsing, so no depth of nesting can exhaust the stack; nested
// objects and arrays are skipped, not interpreted.
#pragma once
#include <map>
#include <string>

namespace cloud {

// Field name → value (strings unescaped, numbers/true/false/null as their text). Throws
// std::runtime_error on malformed JSON.
std::map<std::string, std::string> json_fields(const std::string& json);

// "2026-11-26T16:00:00Z" (ISO 8601, UTC, optional fraction and Z) or a date alone ("2026-11-26",
// its midnight) → unix seconds; -1 when unparsable, out of range or with another time zone.
int64_t parse_iso8601(const std::string& text);

}  // namespace cloud
