// YAML to JSON as sigs.k8s.io/yaml does it: a CRD, multi-document streams, every scalar form,
// tags, keys, anchors and merge keys, and the errors with their positions.
#include "common/k8s/yaml_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace rmq::k8s {
namespace {

// The single document of `yaml` (fails the test otherwise).
Json One(const std::string& yaml) {
  absl::StatusOr<std::vector<Json>> docs = YamlDocumentsToJson(yaml);
  EXPECT_TRUE(docs.ok()) << docs.status() << "\n" << yaml;
  if (!docs.ok()) return "<error>";  // (not {"<error>"}: that is a JSON array)
  EXPECT_EQ(docs->size(), 1u) << yaml;
  return docs->empty() ? Json("<none>") : docs->front();
}

// The value of `v: <scalar>`.
Json Scalar(const std::string& scalar) {
  const Json doc = One("v: " + scalar + "\n");
  return doc.is_object() && doc.contains("v") ? doc["v"] : Json("<error>");
}

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<std::vector<Json>> docs = YamlDocumentsToJson(yaml);
  EXPECT_FALSE(docs.ok()) << yaml;
  if (docs.ok()) return "";
  EXPECT_EQ(docs.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(docs.status().message());
}

constexpr char kCrd[] = R"(# A trimmed CRD as controller-gen writes it.
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: rocketmqclusters.rocketmq.apache.org
  annotations:
    controller-gen.kubebuilder.io/version: v0.16.1
spec:
  group: rocketmq.apache.org
  names: {kind: RocketMQCluster, listKind: RocketMQClusterList, plural: rocketmqclusters,
          shortNames: [rmq], singular: rocketmqcluster}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: True
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.brokers.replicas
        statusReplicasPath: .status.brokers.ready
    additionalPrinterColumns:
    - jsonPath: .status.conditions[?(@.type=="Ready")].status
      name: Ready
      type: string
      priority: 0
    schema:
      openAPIV3Schema:
        description: 'RocketMQCluster is a cluster: name servers, brokers and their agents.'
        type: object
        required: [spec]
        properties:
          spec:
            description: >-
              Desired state. Note: changing replicas
              rolls the brokers one at a time.
            type: object
            x-kubernetes-validations:
            - rule: "self.brokers.replicas >= 1"
              message: 'at least one broker: scale to zero is not supported'
            properties:
              brokers:
                type: object
                properties:
                  replicas: {type: integer, format: int32, minimum: 1, maximum: 0x40, default: 3}
                  syncFlush: {type: boolean, default: false}
                  mode: {type: string, enum: ["true", "false", 'auto'], default: "true"}
                  ratio: {type: number, default: 0.75, multipleOf: 1e-2}
                  config:
                    type: object
                    additionalProperties: {type: string}
                    x-kubernetes-preserve-unknown-fields: true
                  storage:
                    description: |
                      PVC template:
                        size: 10Gi
                    x-kubernetes-map-type: atomic
          status:
            type: object
            properties:
              conditions:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [type]
                items:
                  type: object
                  required: [type, status]
                  properties:
                    matrix: {type: array, items: {type: array, items: {type: integer}},
                             example: [[1, 2], [3, -4], []]}
)";

TEST(YamlJsonTest, ConvertsACrdWithTheTypesKubectlSends) {
  const Json crd = One(kCrd);
  const Json expected = Json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "rocketmqclusters.rocketmq.apache.org",
                 "annotations": {"controller-gen.kubebuilder.io/version": "v0.16.1"}},
    "spec": {
      "group": "rocketmq.apache.org",
      "names": {"kind": "RocketMQCluster", "listKind": "RocketMQClusterList",
                "plural": "rocketmqclusters", "shortNames": ["rmq"],
                "singular": "rocketmqcluster"},
      "scope": "Namespaced",
      "versions": [{
        "name": "v1alpha1", "served": true, "storage": true,
        "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.brokers.replicas",
                                                 "statusReplicasPath": ".status.brokers.ready"}},
        "additionalPrinterColumns": [{
          "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status",
          "name": "Ready", "type": "string", "priority": 0}],
        "schema": {"openAPIV3Schema": {
          "description": "RocketMQCluster is a cluster: name servers, brokers and their agents.",
          "type": "object",
          "required": ["spec"],
          "properties": {
            "spec": {
              "description": "Desired state. Note: changing replicas rolls the brokers one at a time.",
              "type": "object",
              "x-kubernetes-validations": [{
                "rule": "self.brokers.replicas >= 1",
                "message": "at least one broker: scale to zero is not supported"}],
              "properties": {"brokers": {"type": "object", "properties": {
                "replicas": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 64,
                             "default": 3},
                "syncFlush": {"type": "boolean", "default": false},
                "mode": {"type": "string", "enum": ["true", "false", "auto"], "default": "true"},
                "ratio": {"type": "number", "default": 0.75, "multipleOf": 0.01},
                "config": {"type": "object", "additionalProperties": {"type": "string"},
                           "x-kubernetes-preserve-unknown-fields": true},
                "storage": {"description": "PVC template:\n  size: 10Gi\n",
                            "x-kubernetes-map-type": "atomic"}}}}},
            "status": {"type": "object", "properties": {"conditions": {
              "type": "array",
              "x-kubernetes-list-type": "map",
              "x-kubernetes-list-map-keys": ["type"],
              "items": {"type": "object", "required": ["type", "status"], "properties": {
                "matrix": {"type": "array", "items": {"type": "array",
                                                      "items": {"type": "integer"}},
                           "example": [[1, 2], [3, -4], []]}}}}}}}}}
      }]
    }
  })");
  EXPECT_EQ(crd, expected) << crd.dump(2);
  // Integers stay integers, so the API server sees `minimum: 1`, not 1.0.
  const Json& brokers = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
                           ["spec"]["properties"]["brokers"]["properties"];
  EXPECT_TRUE(brokers["replicas"]["minimum"].is_number_integer());
  EXPECT_TRUE(brokers["ratio"]["multipleOf"].is_number_float());
  EXPECT_TRUE(brokers["mode"]["default"].is_string());
}

TEST(YamlJsonTest, SplitsAStreamAndSkipsEmptyDocuments) {
  absl::StatusOr<std::vector<Json>> docs = YamlDocumentsToJson(
      "---\n"
      "# only a comment\n"
      "---\n"
      "kind: Namespace\n"
      "metadata: {name: mq}\n"
      "...\n"
      "---\n"
      "---\n"
      "null\n"
      "---   # a comment may follow the separator\n"
      "~\n"
      "---\r\n"
      "[1, 2]\n"
      "---\n"
      "kind: ServiceAccount\n"
      "---");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0], Json::parse(R"({"kind": "Namespace", "metadata": {"name": "mq"}})"));
  EXPECT_EQ((*docs)[1], Json::parse("[1, 2]"));
  EXPECT_EQ((*docs)[2], Json::parse(R"({"kind": "ServiceAccount"})"));

  for (const char* empty : {"", "\n", "# nothing\n", "---\n", "---\n---\n", "~\n", "null"}) {
    absl::StatusOr<std::vector<Json>> none = YamlDocumentsToJson(empty);
    ASSERT_TRUE(none.ok()) << none.status();
    EXPECT_TRUE(none->empty()) << empty;
  }
}

TEST(YamlJsonTest, DocumentsAreFramedAsKubectlFramesThem) {
  // Content on the separator line is rejected, as kubectl's YAMLReader does.
  std::string error = ErrorOf("a: 1\n--- {b: 2}\n");
  EXPECT_NE(error.find("line 2, column 4: content after the document separator"), std::string::npos)
      << error;
  EXPECT_NE(ErrorOf("---text\n").find("\"text\""), std::string::npos);
  // "---" only counts at the start of a line; inside a block scalar it is text.
  EXPECT_EQ(One("a: |\n  ---\n  b\n"), Json::parse(R"({"a": "---\nb\n"})"));
  // After "...", a new document needs a "---" line.
  error = ErrorOf("a: 1\n...\nb: 2\n");
  EXPECT_NE(error.find("document 1, line 3, column 1: unexpected content after the document"),
            std::string::npos)
      << error;
  EXPECT_EQ(One("a: 1\n...\n# done\n"), Json::parse(R"({"a": 1})"));
  // A stray ',' makes yaml-cpp 0.7's LoadAll() loop forever (jbeder/yaml-cpp#1040); here it is
  // an error.
  for (const char* stray : {",", "[a],", "{a: 1},", "\"x\",", "a: 1\n---\n,\n"}) {
    error = ErrorOf(stray);
    EXPECT_NE(error.find("unexpected content after the document"), std::string::npos)
        << stray << ": " << error;
  }
  // %TAG directives do not carry over the "---" that must end them (kubectl: same).
  error = ErrorOf("%TAG !k! tag:yaml.org,2002:\n---\nv: !k!int '7'\n");
  EXPECT_EQ(error.rfind("document 2, line 3, column 4: undeclared tag handle in \"!k!int\"", 0), 0u)
      << error;
}

TEST(YamlJsonTest, JsonIsYamlAndPassesThrough) {
  const char* json = R"({"a": [1, -2, 2.5, "x", true, null, {"b": {}}], "c": "\u00e9\n"})";
  EXPECT_EQ(One(json), Json::parse(json));
}

TEST(YamlJsonTest, NullsAndBooleansFollowYaml11LikeKubernetes) {
  for (const char* null : {"", "~", "null", "Null", "NULL", "!!null ''", "!!null ~"}) {
    EXPECT_EQ(Scalar(null), Json(nullptr)) << null;
  }
  for (const char* yes :
       {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"}) {
    EXPECT_EQ(Scalar(yes), Json(true)) << yes;
  }
  for (const char* no :
       {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"}) {
    EXPECT_EQ(Scalar(no), Json(false)) << no;
  }
  // Other spellings are strings.
  for (const char* text : {"nUll", "tRue", "yES", "Nope", "t", "f", "o", "~~", "nil"}) {
    EXPECT_EQ(Scalar(text), Json(text)) << text;
  }
}

TEST(YamlJsonTest, IntegersInEveryBaseWithSignsAndSeparators) {
  const std::vector<std::pair<const char*, int64_t>> ints = {{"0", 0},
                                                             {"-0", 0},
                                                             {"42", 42},
                                                             {"+42", 42},
                                                             {"-42", -42},
                                                             {"0x1F", 31},
                                                             {"0X1f", 31},
                                                             {"-0x10", -16},
                                                             {"0o17", 15},
                                                             {"0O17", 15},
                                                             {"017", 15},  // YAML 1.1 octal
                                                             {"0b101", 5},
                                                             {"-0b101", -5},
                                                             {"1_000_000", 1000000},
                                                             {"+0x_1F", 31},
                                                             {"1_", 1},
                                                             {"9223372036854775807", INT64_MAX},
                                                             {"-9223372036854775808", INT64_MIN},
                                                             {"0x7FFFFFFFFFFFFFFF", INT64_MAX}};
  for (const auto& [text, value] : ints) {
    const Json v = Scalar(text);
    EXPECT_TRUE(v.is_number_integer()) << text << " -> " << v;
    EXPECT_EQ(v, Json(value)) << text;
  }
  // Beyond int64: uint64, then (decimal only) a double.
  const Json big = Scalar("9223372036854775808");
  EXPECT_TRUE(big.is_number_unsigned());
  EXPECT_EQ(big.get<uint64_t>(), uint64_t{1} << 63);
  EXPECT_EQ(Scalar("18446744073709551615").get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(Scalar("0xFFFFFFFFFFFFFFFF").get<uint64_t>(), UINT64_MAX);
  const Json huge = Scalar("18446744073709551616");
  EXPECT_TRUE(huge.is_number_float());
  EXPECT_DOUBLE_EQ(huge.get<double>(), 18446744073709551616.0);
  EXPECT_TRUE(Scalar("-9223372036854775809").is_number_float());
  EXPECT_NE(ErrorOf("v: 0x10000000000000000\n").find("does not fit in 64 bits"), std::string::npos);
}

TEST(YamlJsonTest, FloatsAndTheNumbersThatAreNot) {
  const std::vector<std::pair<const char*, double>> floats = {
      {"1.5", 1.5},
      {"-1.5", -1.5},
      {".5", 0.5},
      {"-.5", -0.5},
      {"+.5", 0.5},
      {"1.", 1.0},
      {"1e3", 1000},
      {"1E+3", 1000},
      {"2.5e-3", 0.0025},
      {"1_0.5", 10.5},
      {"08", 8.0},  // not octal, not an int: Go's ParseFloat
                    // takes it
      {"0789", 789.0},
      {"1.10", 1.1},
      {"1e-999", 0.0},
      {".5e1", 5.0}};
  for (const auto& [text, value] : floats) {
    const Json v = Scalar(text);
    EXPECT_TRUE(v.is_number_float()) << text << " -> " << v;
    EXPECT_DOUBLE_EQ(v.get<double>(), value) << text;
  }
  // Strings that look numeric.
  for (const char* text : {"1.2.3",      "0x",
                           "0xG",        "0b2",
                           "+",          "-1-",
                           ".",          "._5",
                           ".5_0",       "1e",
                           "e3",         "1e999",
                           ".5e999",     "12abc",
                           "v1",         "_1",
                           "--1",        "0x1.8p1",
                           "inf",        "nan",
                           "Infinity",   "1:2",
                           "10Gi",       "100m",
                           "2026-11-29", "2026-11-29T10:00:00Z",
                           "<<",         "1,000"}) {
    const Json v = Scalar(text);
    EXPECT_EQ(v, Json(text)) << text << " -> " << v;
  }
  EXPECT_EQ(Scalar("1__"), Json(1));  // "1__" strips to "1"
}

TEST(YamlJsonTest, QuotedAndBlockScalarsAreStrings) {
  EXPECT_EQ(Scalar("\"true\""), Json("true"));
  EXPECT_EQ(Scalar("'123'"), Json("123"));
  EXPECT_EQ(Scalar("\"~\""), Json("~"));
  EXPECT_EQ(Scalar("''"), Json(""));
  EXPECT_EQ(Scalar("\"null\""), Json("null"));
  EXPECT_EQ(Scalar("'0x10'"), Json("0x10"));
  EXPECT_EQ(Scalar("\"1.5\""), Json("1.5"));
  EXPECT_EQ(Scalar("\"a\\tb\\u00e9\""), Json("a\tb\xC3\xA9"));
  EXPECT_EQ(One("v: |\n  12\n  true\n")["v"], Json("12\ntrue\n"));
  EXPECT_EQ(One("v: >\n  folded\n  line\n\n  next\n")["v"], Json("folded line\nnext\n"));
  EXPECT_EQ(One("v: |-\n  yes\n")["v"], Json("yes"));
  EXPECT_EQ(One("v: >-\n  no\n")["v"], Json("no"));
  // A plain multi-line scalar is folded and still resolved: here to a string.
  EXPECT_EQ(One("v: a\n  b\n")["v"], Json("a b"));
}

TEST(YamlJsonTest, ExplicitTagsAreHonoured) {
  EXPECT_EQ(Scalar("!!str 12"), Json("12"));
  EXPECT_EQ(Scalar("!!str true"), Json("true"));
  EXPECT_EQ(Scalar("!!str ~"), Json("~"));
  EXPECT_EQ(Scalar("!!str"), Json(""));
  EXPECT_EQ(Scalar("!!int \"12\""), Json(12));
  EXPECT_EQ(Scalar("!!int 0x10"), Json(16));
  EXPECT_EQ(Scalar("!!bool yes"), Json(true));
  EXPECT_EQ(Scalar("!!bool 'false'"), Json(false));
  const Json one = Scalar("!!float 1");
  EXPECT_TRUE(one.is_number_float());
  EXPECT_EQ(one.get<double>(), 1.0);
  EXPECT_EQ(Scalar("!!float '2.5'"), Json(2.5));
  EXPECT_EQ(Scalar("!<tag:yaml.org,2002:str> 5"), Json("5"));
  // Local and non-specific tags on scalars give strings; tags on collections are ignored.
  EXPECT_EQ(Scalar("!foo 12"), Json("12"));
  EXPECT_EQ(Scalar("! 12"), Json("12"));
  EXPECT_EQ(Scalar("!!timestamp 2026-11-29"), Json("2026-11-29"));
  EXPECT_EQ(Scalar("!!map [1]"), Json::parse("[1]"));
  EXPECT_EQ(One("%TAG !k! tag:yaml.org,2002:\nv: !k!int '7'\n")["v"], Json(7));

  EXPECT_NE(ErrorOf("v: !!int abc\n").find("cannot decode \"abc\" as !!int"), std::string::npos);
  EXPECT_NE(ErrorOf("v: !!int 1.5\n").find("as !!int"), std::string::npos);
  EXPECT_NE(ErrorOf("v: !!float abc\n").find("as !!float"), std::string::npos);
  EXPECT_NE(ErrorOf("v: !!bool 1\n").find("as !!bool"), std::string::npos);
  EXPECT_NE(ErrorOf("v: !!null x\n").find("as !!null"), std::string::npos);
  EXPECT_NE(ErrorOf("v: !!int\n").find("as !!int"), std::string::npos);
  EXPECT_NE(ErrorOf("v: !!binary aGVsbG8=\n").find("!!binary is not supported"), std::string::npos);
}

TEST(YamlJsonTest, InfinityAndNanCannotBeJsonValues) {
  for (const char* special : {".inf", ".Inf", "+.INF", "-.inf", ".nan", ".NaN", "!!float .inf"}) {
    const std::string error = ErrorOf(std::string("a: 1\nv: ") + special + "\n");
    EXPECT_NE(error.find("line 2, column 4"), std::string::npos) << error;
    EXPECT_NE(error.find("cannot be represented in JSON"), std::string::npos) << error;
  }
  EXPECT_EQ(Scalar("'.inf'"), Json(".inf"));
}

TEST(YamlJsonTest, KeysBecomeStringsAsSigsYamlWritesThem) {
  const Json keys =
      One("name: a\n"
          "\"quoted\": b\n"
          "1: int\n"
          "0x10: hex\n"
          "true: bool\n"
          "no: yaml11-bool\n"
          "1.10: float\n"
          "1e36: big-float\n"
          "1234567.0: float32-exponent\n"
          "0.0001: small\n"
          "0.00001: smaller\n"
          "-0.0: negative-zero\n"
          "\"1.10\": quoted-float\n"
          ".inf: inf\n"
          "18446744073709551615: uint64\n"
          "\"\": empty\n");
  EXPECT_EQ(keys, Json::parse(R"({
    "name": "a", "quoted": "b", "1": "int", "16": "hex", "true": "bool", "false": "yaml11-bool",
    "1.1": "float", "1e+36": "big-float", "1.234567e+06": "float32-exponent",
    "0.0001": "small", "1e-05": "smaller", "-0": "negative-zero", "1.10": "quoted-float",
    ".inf": "inf", "18446744073709551615": "uint64", "": "empty"})"))
      << keys.dump(2);
  // sigs.k8s.io/yaml's own test case: a decimal too large for int64 goes through float32.
  EXPECT_EQ(One("1000000000000000000000000000000000000: a\n"), Json::parse(R"({"1e+36": "a"})"));
  // The classic surprise: a plain `y` key is the boolean true.
  EXPECT_EQ(One("x: 1\ny: 2\n"), Json::parse(R"({"x": 1, "true": 2})"));
}

TEST(YamlJsonTest, BadKeysAreErrorsWithTheirPosition) {
  EXPECT_NE(ErrorOf("a: 1\n~: 2\n").find("line 2, column 1: null map key"), std::string::npos);
  EXPECT_NE(ErrorOf("? [a, b]\n: c\n").find("map key is not a scalar"), std::string::npos);
  EXPECT_NE(ErrorOf("? {a: 1}\n: c\n").find("map key is not a scalar"), std::string::npos);
  EXPECT_NE(ErrorOf("a: 1\nb:\n  c: 2\n  c: 3\n").find("line 4, column 3: duplicate map key \"c\""),
            std::string::npos);
  // Duplicates after conversion count too.
  EXPECT_NE(ErrorOf("1: a\n\"1\": b\n").find("duplicate map key \"1\""), std::string::npos);
  EXPECT_NE(ErrorOf("yes: a\ntrue: b\n").find("duplicate map key \"true\""), std::string::npos);
  EXPECT_NE(ErrorOf("!!binary aGk=: a\n").find("!!binary"), std::string::npos);
  EXPECT_NE(ErrorOf("!k!int 1: a\n").find("line 1, column 1: undeclared tag handle"),
            std::string::npos);
}

TEST(YamlJsonTest, AnchorsAliasesAndMergeKeys) {
  const Json doc =
      One("defaults: &defaults\n"
          "  image: rocketmq:5.3.3\n"
          "  replicas: 3\n"
          "  env: &env [A, B]\n"
          "extra: &extra {replicas: 5, tier: gold}\n"
          "single:\n"
          "  <<: *defaults\n"
          "  replicas: 1\n"
          "explicit-first:\n"
          "  replicas: 2\n"
          "  <<: *defaults\n"
          "list:\n"
          "  <<: [*extra, *defaults]\n"
          "tagged:\n"
          "  !!merge <<: {x: 1}\n"
          "quoted:\n"
          "  \"<<\": {x: 1}\n"
          "env: *env\n");
  EXPECT_EQ(doc, Json::parse(R"({
    "defaults": {"image": "rocketmq:5.3.3", "replicas": 3, "env": ["A", "B"]},
    "extra": {"replicas": 5, "tier": "gold"},
    "single": {"image": "rocketmq:5.3.3", "replicas": 1, "env": ["A", "B"]},
    "explicit-first": {"image": "rocketmq:5.3.3", "replicas": 2, "env": ["A", "B"]},
    "list": {"image": "rocketmq:5.3.3", "replicas": 5, "tier": "gold", "env": ["A", "B"]},
    "tagged": {"x": 1},
    "quoted": {"<<": {"x": 1}},
    "env": ["A", "B"]})"))
      << doc.dump(2);
  EXPECT_NE(ErrorOf("a:\n  <<: 5\n").find("line 2, column 3: merge key << needs a map"),
            std::string::npos);
  EXPECT_NE(ErrorOf("a:\n  <<: [{x: 1}, 2]\n").find("merge key"), std::string::npos);
}

TEST(YamlJsonTest, SyntaxErrorsCarryLineAndColumn) {
  std::string error = ErrorOf("a: 1\nb: [1, 2\nc: 3\n");
  EXPECT_NE(error.find("line 3, column 2"), std::string::npos) << error;
  EXPECT_NE(error.find("end of sequence flow not found"), std::string::npos) << error;
  error = ErrorOf("a: *nope\n");
  EXPECT_NE(error.find("line 1, column 4"), std::string::npos) << error;
  EXPECT_NE(error.find("anchor is not defined"), std::string::npos) << error;
  error = ErrorOf("a:\n\t- x\n");
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
  // A conversion error names its document.
  error = ErrorOf("a: 1\n---\nb: 2\n---\nc: .nan\n");
  EXPECT_EQ(error.rfind("document 3, line 5, column 4: ", 0), 0u) << error;
}

TEST(YamlJsonTest, RecursionAliasBombsAndBadUtf8AreBounded) {
  std::string error = ErrorOf("a: &a [1, *a]\n");
  EXPECT_NE(error.find("nesting deeper than 256"), std::string::npos) << error;

  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "[";
  for (int i = 0; i < 300; ++i) deep += "]";
  error = ErrorOf(deep);
  EXPECT_NE(error.find("nesting deeper than 256"), std::string::npos) << error;
  std::string ok_depth;
  for (int i = 0; i < 200; ++i) ok_depth += "[";
  for (int i = 0; i < 200; ++i) ok_depth += "]";
  EXPECT_TRUE(YamlDocumentsToJson(ok_depth).ok());

  // Nine levels of ten aliases each: 10^9 nodes if expanded.
  std::string bomb = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    bomb += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", " : "") + prev;
    bomb += "]\n";
  }
  error = ErrorOf(bomb);
  EXPECT_NE(error.find("expands to too much data"), std::string::npos) << error;

  // yaml-cpp rejects escaped surrogates itself; raw bytes reach our check.
  error = ErrorOf("a: \"\\ud800\"\n");
  EXPECT_NE(error.find("line 1, column 11: invalid unicode"), std::string::npos) << error;
  error = ErrorOf("a: b\xC3\n");
  EXPECT_NE(error.find("UTF-8"), std::string::npos) << error;
  EXPECT_EQ(Scalar("caf\xC3\xA9 \xF0\x9F\x98\x80"), Json("caf\xC3\xA9 \xF0\x9F\x98\x80"));
}

}  // namespace
}  // namespace rmq::k8s
