// Where the keys come from: providers behind one interface, tried in order and cached.
//
// The default chain is the AWS CLI's order for what gan supports: environment variables, the
// shared credentials and config files (a profile), then the EC2 instance role through IMDSv2.
// Each source answers "none here, because ..." or credentials, and throws only when a source
// exists but is broken; the chain's error lists every source tried and why it had nothing, so a
// user knows what to set. CredentialsCache refreshes them as cloud/token_cache.h says.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "aws/sigv4.h"  // Credentials
#include "cloud/token_cache.h"

namespace aws {

struct CredentialsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One source of the chain: its name (for the chain's error) and its load, which gives
// credentials, or nullopt with *why saying what was missing ("AWS_ACCESS_KEY_ID is not set").
struct CredentialSource {
  std::string name;
  std::function<std::optional<Credentials>(std::string* why)> load;
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
CredentialSource env_source();
// ~/.aws/credentials and ~/.aws/config (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE), profile
// `profile`, or AWS_PROFILE, or "default".
CredentialSource shared_file_source(const std::string& profile = "");
// The instance role, through IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT (default
// http://169.254.169.254; AWS_EC2_METADATA_DISABLED=true turns it off).
CredentialSource imds_source();

// The current credentials of the first source in `chain` that has them, or of `load`.
struct CredentialsCache : cloud::ExpiringCache<Credentials> {
  explicit CredentialsCache(std::vector<CredentialSource> chain);
  explicit CredentialsCache(std::function<Credentials(int64_t now)> load) : ExpiringCache(std::move(load), false) {}
};

// Fixed keys (source "static"): HMAC keys, test servers.
std::shared_ptr<CredentialsCache> static_credentials(Credentials c);

std::shared_ptr<CredentialsCache> default_credentials(const std::string& profile = "");

// The region to sign for: `flag`, else AWS_REGION, AWS_DEFAULT_REGION, the profile's "region"
// in the config file, the instance's region from IMDS, else "us-east-1". *source says which.
std::string resolve_region(const std::string& flag, const std::string& profile = "", std::string* source = nullptr,
                           bool use_imds = true);

// INI files as the AWS CLI reads them: section → key → value; a section or key written twice
// keeps its first. Exposed for tests.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile parse_ini(const std::string& text);

}  // namespace aws
