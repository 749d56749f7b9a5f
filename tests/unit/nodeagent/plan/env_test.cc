// $(VAR) expansion as Kubernetes does it (third_party/forked/golang/expansion), and EnvList.
#include "nodeagent/plan/env.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::nodeagent {
namespace {

std::string Expand(std::string_view input) {
  const EnvList env = {{"VAR_A", "A"}, {"VAR_B", "B"}, {"EMPTY", ""}, {"NESTED", "$(VAR_A)"}};
  return ExpandReferences(input, EnvListMapping(env));
}

TEST(ExpandReferencesTest, ReplacesKnownReferences) {
  EXPECT_EQ(Expand("$(VAR_A)"), "A");
  EXPECT_EQ(Expand("x-$(VAR_A)-$(VAR_B)-y"), "x-A-B-y");
  EXPECT_EQ(Expand("$(VAR_A)$(VAR_B)"), "AB");
  EXPECT_EQ(Expand("$(EMPTY)"), "");
  EXPECT_EQ(Expand("no references"), "no references");
  EXPECT_EQ(Expand(""), "");
}

TEST(ExpandReferencesTest, UnknownReferencesStayAsWritten) {
  EXPECT_EQ(Expand("$(UNKNOWN)"), "$(UNKNOWN)");
  EXPECT_EQ(Expand("a $(UNKNOWN) $(VAR_A)"), "a $(UNKNOWN) A");
  EXPECT_EQ(Expand("$()"), "$()");
}

TEST(ExpandReferencesTest, ValuesAreNotExpandedAgain) {
  EXPECT_EQ(Expand("$(NESTED)"), "$(VAR_A)");
}

TEST(ExpandReferencesTest, DoubleDollarEscapes) {
  EXPECT_EQ(Expand("$$(VAR_A)"), "$(VAR_A)");
  EXPECT_EQ(Expand("$$$(VAR_A)"), "$A");
  EXPECT_EQ(Expand("$$$$(VAR_A)"), "$$(VAR_A)");
  EXPECT_EQ(Expand("$$"), "$");
  EXPECT_EQ(Expand("a$$b"), "a$b");
}

TEST(ExpandReferencesTest, LoneOperatorsAreKept) {
  EXPECT_EQ(Expand("$VAR_A"), "$VAR_A");
  EXPECT_EQ(Expand("${VAR_A}"), "${VAR_A}");
  EXPECT_EQ(Expand("$"), "$");
  EXPECT_EQ(Expand("a$"), "a$");
  EXPECT_EQ(Expand("$$$"), "$$");
  EXPECT_EQ(Expand("$)"), "$)");
  EXPECT_EQ(Expand("100$ and $(VAR_B)"), "100$ and B");
}

TEST(ExpandReferencesTest, IncompleteReferencesAreKeptAndScanningGoesOn) {
  EXPECT_EQ(Expand("$(VAR_A"), "$(VAR_A");
  EXPECT_EQ(Expand("$("), "$(");
  EXPECT_EQ(Expand("$($(VAR_A)"), "$($(VAR_A)");  // the name is "$(VAR_A": unknown
  EXPECT_EQ(Expand("$(VAR_A$(VAR_B)"), "$(VAR_A$(VAR_B)");
}

TEST(ExpandReferencesTest, NonAsciiBytesAfterAnOperatorAreCopied) {
  EXPECT_EQ(Expand("$\xc3\xa9"), "$\xc3\xa9");
}

TEST(EnvListTest, SetEnvOverridesInPlace) {
  EnvList env;
  SetEnv(env, "A", "1");
  SetEnv(env, "B", "2");
  SetEnv(env, "A", "3");
  EXPECT_EQ(env, (EnvList{{"A", "3"}, {"B", "2"}}));
  EXPECT_EQ(FindEnv(env, "B"), "2");
  EXPECT_EQ(FindEnv(env, "C"), std::nullopt);
}

TEST(EnvListTest, EnvVarNamesAreRelaxed) {
  EXPECT_TRUE(IsEnvVarName("JAVA_HOME"));
  EXPECT_TRUE(IsEnvVarName("my.key-1"));
  EXPECT_TRUE(IsEnvVarName("1ABC"));  // allowed since RelaxedEnvironmentVariableValidation
  EXPECT_TRUE(IsEnvVarName("with space"));
  EXPECT_FALSE(IsEnvVarName(""));
  EXPECT_FALSE(IsEnvVarName("A=B"));
  EXPECT_FALSE(IsEnvVarName("tab\there"));
  EXPECT_FALSE(IsEnvVarName("caf\xc3\xa9"));
}

}  // namespace
}  // namespace rmq::nodeagent
