// yaml_json.h: a YAML stream (manifests, CRDs) to JSON values, typed as Kubernetes types them
// (pure).
//
// `kubectl apply -f` and the API server turn YAML into JSON with sigs.k8s.io/yaml, which resolves
// plain scalars with its fork of go-yaml v2. That resolver is YAML 1.1 flavoured, not the YAML
// 1.2 core schema, and this decoder follows it so that a manifest means here what it means to
// kubectl:
//  - Quoted ('...', "...") and block (|, >) scalars are strings. So are plain scalars that are
//    nothing below, including timestamps ("2026-11-29T10:00:00Z") and ".5e999".
//  - Plain null, Null, NULL, ~ and the empty value are null.
//  - Plain booleans: true/false, True/False, TRUE/FALSE, and also (YAML 1.1) yes/no, on/off, y/n
//    in the same three spellings: `enabled: yes` is true, `country: NO` is false.
//  - Plain integers with an optional sign: decimal, 0x/0X hex, 0o/0O octal, 0b/0B binary, and
//    (YAML 1.1) a leading 0 for octal (0777 = 511); '_' separators are ignored (1_000). Values
//    beyond int64 are uint64 up to 2^64-1; larger decimals become doubles; larger hex, octal or
//    binary literals are an error (Kubernetes keeps them as a big integer).
//  - Plain floats matching [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? are doubles
//    (1e3 is the double 1000; 08, not being octal, is the double 8). .inf, -.inf and .nan are
//    an error as values, because JSON cannot carry them (sigs.k8s.io/yaml fails the same way).
//  - Explicit tags are honoured: !!str makes a string; !!int, !!float, !!bool and !!null must
//    resolve to their type (!!float also takes an integer) or the input is an error; !!binary is
//    an error (unsupported, as in sigs.k8s.io/yaml); an undeclared named handle (!k!int without
//    %TAG) is an error; any other tag on a scalar gives a string.
//  - Map keys must be scalars and become JSON strings: a key that resolves to a boolean becomes
//    "true"/"false" (so a plain `y:` key is "true"), an integer its decimal digits, a float Go's
//    shortest float32 form (1.10 -> "1.1", 1e36 -> "1e+36"). A null or collection key, and a
//    key given twice in one map (after this conversion), are errors: stricter than YAMLToJSON,
//    which keeps the last value; the API server's strict field validation rejects them too.
//  - Anchors and aliases are expanded; merge keys (`<<: *base`, or a list of maps) are merged
//    with keys written in the map taking precedence, then earlier merged maps.
// Documents are framed as kubectl frames them: every line that starts with "---" ends one, and
// only spaces or a comment may follow on that line (`--- {a: 1}` is an error, as in kubectl).
// So directives (%TAG) do not reach past the "---" that must follow them, as in kubectl. Empty
// documents (nothing, only comments, or null) are skipped. Content after a "..." end marker
// within a document is an error (kubectl silently drops it).
// Limits: nesting deeper than 256 levels (also what a recursive alias such as `&a [*a]` hits)
// and output larger than 4 MiB + 16 x the input (an alias bomb) are errors.
//
// Errors are InvalidArgument with the document's number and the 1-based line and column in the
// stream: "document 2, line 9, column 5: duplicate map key \"name\"", "document 1, line 3,
// column 7: illegal map value" (yaml-cpp's message for a syntax error).
// Thread-safe (no shared state).
//
// Example:
//   RMQ_ASSIGN_OR_RETURN(std::vector<Json> docs, YamlDocumentsToJson(crd_yaml));
//   for (const Json& crd : docs) RMQ_RETURN_IF_ERROR(Apply(crd));
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace rmq::k8s {

using Json = nlohmann::json;

// One JSON value per non-empty document of the `---`-separated YAML stream, in order. Strings
// are valid UTF-8 (anything else is an error), so the result always serializes.
absl::StatusOr<std::vector<Json>> YamlDocumentsToJson(std::string_view yaml);

}  // namespace rmq::k8s
