// The credentials a request is signed with. Kept apart from the providers (credentials.h) so the
// pure signer depends on nothing that does I/O.
#pragma once
#include <cstdint>
#include <string>

namespace aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  int64_t expires_at = 0;     // unix seconds; 0 = does not expire
  std::string source;         // which provider produced them ("environment", "imds", ...)
};

}  // namespace aws
