// acl.h: RocketMQ AccessKey/SecretKey request signing (rocketmq-protocol.md §5).
//
// The same signature serves ACL 1.0 (4.x, 5.0-5.3.2) and ACL 2.0 (5.3+): add AccessKey (and
// SecurityToken, if any) to extFields, concatenate the values of all extFields except Signature
// sorted by key (byte order, as Java's String.compareTo for ASCII), append the raw body, and put
// Base64(HMAC-SHA1(SecretKey, content)) into Signature. Pure functions, thread-safe.
//
// Example:
//   SignRequest(request, AclCredentials{"rocketmq2", "12345678"});
#pragma once

#include <string>
#include <string_view>

#include "common/rocketmq/remoting/command.h"

namespace rmq::rocketmq {

struct AclCredentials {
  std::string access_key;
  std::string secret_key;
  std::string security_token;  // Optional; sent only when non-empty.

  bool enabled() const { return !access_key.empty(); }
};

inline constexpr char kAccessKeyField[] = "AccessKey";
inline constexpr char kSignatureField[] = "Signature";
inline constexpr char kSecurityTokenField[] = "SecurityToken";

// Base64 (standard alphabet, '=' padding) of HMAC-SHA1(key, data).
std::string HmacSha1Base64(std::string_view key, std::string_view data);

// The bytes that are signed: sorted extFields values (without Signature) followed by the body.
std::string SignatureContent(const RemotingCommand& cmd);

// Adds AccessKey, SecurityToken (if set) and Signature to `cmd`. No-op if creds are disabled.
void SignRequest(RemotingCommand& cmd, const AclCredentials& creds);

}  // namespace rmq::rocketmq
