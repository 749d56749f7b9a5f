#include "common/rocketmq/remoting/acl.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace rmq::rocketmq {

std::string HmacSha1Base64(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &mac_len);
  std::string out(4 * ((mac_len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac.data(),
                          static_cast<int>(mac_len));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string SignatureContent(const RemotingCommand& cmd) {
  std::string content;
  for (const auto& [k, v] : cmd.ext_fields) {  // std::map: byte-order sorted keys
    if (k == kSignatureField) continue;
    content.append(v);
  }
  content.append(cmd.body);
  return content;
}

void SignRequest(RemotingCommand& cmd, const AclCredentials& creds) {
  if (!creds.enabled()) return;
  cmd.ext_fields.erase(kSignatureField);
  cmd.ext_fields[kAccessKeyField] = creds.access_key;
  if (!creds.security_token.empty()) cmd.ext_fields[kSecurityTokenField] = creds.security_token;
  cmd.ext_fields[kSignatureField] = HmacSha1Base64(creds.secret_key, SignatureContent(cmd));
}

}  // namespace rmq::rocketmq
