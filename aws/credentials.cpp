// Credential sources, the chain and the cache; see credentials.h.
#include "aws/credentials.h"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/dates.h"
#include "common/json.h"
#include "common/text.h"

namespace aws {

using gan::env;
using gan::trim;

IniFile parse_ini(const std::string& text) {
  IniFile out;
  std::map<std::string, std::string>* section = nullptr;
  std::map<std::string, std::string> repeated;  // a section's second appearance, not used
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      std::string name = trim(t.substr(1, t.size() - 2));
      // "[profile   x]" → "profile x"
      if (name.rfind("profile", 0) == 0 && name.size() > 7 && (name[7] == ' ' || name[7] == '\t'))
        name = "profile " + trim(name.substr(7));
      section = out.count(name) ? &repeated : &out[name];
      continue;
    }
    size_t eq = t.find('=');
    if (eq == std::string::npos || !section) continue;  // nested (indented) values are not used here
    section->emplace(trim(t.substr(0, eq)), trim(t.substr(eq + 1)));
  }
  return out;
}

namespace {

bool imds_disabled() {
  const std::string v = gan::lower(env("AWS_EC2_METADATA_DISABLED"));
  return v == "true" || v == "1";
}

std::string home_file(const char* env_name, const char* default_rel) {
  std::string p = env(env_name);
  if (!p.empty()) return p;
  std::string home = env("HOME");
  return home.empty() ? "" : home + "/" + default_rel;
}

// The file's sections, or nullopt when it cannot be read.
std::optional<IniFile> read_ini(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  return parse_ini(std::string(std::istreambuf_iterator<char>(f), {}));
}

std::string profile_name(const std::string& given) {
  if (!given.empty()) return given;
  std::string p = env("AWS_PROFILE");
  return p.empty() ? "default" : p;
}

std::string value(const IniFile& ini, const std::string& section, const std::string& key) {
  auto s = ini.find(section);
  if (s == ini.end()) return "";
  auto v = s->second.find(key);
  return v == s->second.end() ? "" : v->second;
}

// "No credentials here", with the reason for the chain's list of sources tried.
std::nullopt_t none(std::string* why, const std::string& reason) {
  if (why) *why = reason;
  return std::nullopt;
}

// In the config file a profile is "[profile NAME]", except "[default]".
std::string config_section(const IniFile& ini, const std::string& profile) {
  return profile == "default" && !ini.count("profile default") ? "default" : "profile " + profile;
}

std::optional<Credentials> load_env(std::string* why) {
  Credentials c{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN"), 0, "environment"};
  if (c.access_key_id.empty() && c.secret_access_key.empty())
    return none(why, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  if (c.access_key_id.empty())
    throw CredentialsError("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or neither");
  if (c.secret_access_key.empty())
    throw CredentialsError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither");
  return c;
}

std::optional<Credentials> load_shared_files(const std::string& given, std::string* why) {
  const std::string profile = profile_name(given);
  const std::string cred_path = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  const std::string conf_path = home_file("AWS_CONFIG_FILE", ".aws/config");
  const auto cred = read_ini(cred_path), conf = read_ini(conf_path);
  // The profile's section of the credentials file, else of the config file.
  IniFile ini = cred.value_or(IniFile{});
  std::string where = cred_path, section = profile;
  if (value(ini, section, "aws_access_key_id").empty()) {
    ini = conf.value_or(IniFile{});
    where = conf_path;
    section = config_section(ini, profile);
  }
  if (value(ini, section, "aws_access_key_id").empty())
    return none(why, !cred && !conf
                         ? "neither " + cred_path + " nor " + conf_path + " exists"
                         : "no profile '" + profile + "' with aws_access_key_id in " + cred_path + " or " + conf_path);
  Credentials c{value(ini, section, "aws_access_key_id"), value(ini, section, "aws_secret_access_key"),
                value(ini, section, "aws_session_token"), 0, "profile '" + profile + "' in " + where};
  if (c.secret_access_key.empty())
    throw CredentialsError("profile '" + profile + "' in " + where +
                           " has aws_access_key_id but no aws_secret_access_key: add it");
  return c;
}

// EC2 instance metadata, IMDSv2 only: a session token first (PUT /latest/api/token), then every
// read carries it.
class ImdsClient {
 public:
  ImdsClient() : endpoint_(cloud::metadata_endpoint("", "AWS_EC2_METADATA_SERVICE_ENDPOINT")) {}
  const std::string& endpoint() const { return endpoint_; }

  // GET a metadata path ("/latest/meta-data/placement/region"); nullopt on 404; throws otherwise.
  std::optional<std::string> get(const std::string& path) {
    for (int attempt = 0;; attempt++) {
      if (attempt > 0) session_.invalidate();  // the session token expired: get a new one
      cloud::HttpRequest req;
      req.url = endpoint_ + path;
      req.headers = {{"X-aws-ec2-metadata-token", session_.get(std::time(nullptr)).token}};
      req.timeout_ms = 2000;
      req.no_proxy = true;
      req.max_body_bytes = cloud::kMetadataBodyBytes;
      cloud::HttpResponse r = transport_->perform(req);
      if (r.status == 200) return r.body;
      if (r.status == 404) return std::nullopt;
      if (r.status == 401 && attempt == 0) continue;
      throw CredentialsError("IMDS GET " + endpoint_ + path + " answered HTTP " + std::to_string(r.status));
    }
  }

 private:
  cloud::AccessToken new_session(int64_t now) {
    constexpr int64_t kTtl = 21600;  // the maximum IMDSv2 session, 6 hours
    cloud::HttpRequest req;
    req.method = "PUT";
    req.url = endpoint_ + "/latest/api/token";
    req.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", std::to_string(kTtl)}};
    req.timeout_ms = 2000;
    req.no_proxy = true;  // link-local: never through http_proxy
    cloud::HttpResponse r = transport_->perform(req);
    if (r.status != 200 || r.body.empty())
      throw CredentialsError("IMDSv2 at " + endpoint_ + " refused a session token (HTTP " + std::to_string(r.status) +
                             "); if this instance requires a hop limit above 1 (containers), raise "
                             "HttpPutResponseHopLimit");
    return {trim(r.body), now + kTtl, "IMDSv2 at " + endpoint_};
  }

  std::string endpoint_;
  // Off EC2 nothing answers at 169.254.169.254: fail in a second, not a minute.
  std::shared_ptr<cloud::HttpTransport> transport_ = cloud::metadata_transport(2);
  // Refreshed 5 minutes before the session's 6 hours are up, and at once when a read is refused.
  cloud::ExpiringCache<cloud::AccessToken> session_{[this](int64_t now) { return new_session(now); }, false};
};

std::optional<Credentials> load_imds(ImdsClient& imds, std::string* why) {
  if (imds_disabled()) return none(why, "disabled by AWS_EC2_METADATA_DISABLED");
  const std::string base = "/latest/meta-data/iam/security-credentials/";
  std::optional<std::string> roles;
  try {
    roles = imds.get(base);
  } catch (const cloud::TransportError& e) {
    return none(why, std::string("no metadata service answered (not on EC2?): ") + e.what());
  } catch (const CredentialsError& e) {
    // Something answers but refuses a session token or the role list (hop limit 1 seen from a
    // container, a proxy, IMDSv1 only): a reason in the chain's list, not an error that hides it.
    return none(why, e.what());
  }
  std::string role = trim(roles ? roles->substr(0, roles->find('\n')) : "");
  if (role.empty()) return none(why, "this instance has no IAM role attached (attach an instance profile)");
  auto doc = imds.get(base + role);
  if (!doc) throw CredentialsError("IMDS lists role '" + role + "' but has no credentials for it");
  const gan::Json f = gan::Json::parse(*doc, "IMDS credentials for role '" + role + "'");
  if (f.contains("Code") && f.field("Code") != "Success")
    throw CredentialsError("IMDS credentials for role '" + role + "': " + f.field("Code") + " " + f.field("Message"));
  Credentials c{f.field("AccessKeyId"), f.field("SecretAccessKey"), f.field("Token"),
                f.contains("Expiration") ? std::max<int64_t>(gan::parse_iso8601(f.field("Expiration")), 0) : 0,
                "EC2 instance role '" + role + "'"};
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    throw CredentialsError("IMDS credentials for role '" + role + "' lack AccessKeyId or SecretAccessKey");
  return c;
}

Credentials first_in(const std::vector<CredentialSource>& chain) {
  std::string tried;
  for (const auto& s : chain) {
    std::string reason;
    if (auto c = s.load(&reason)) return *c;
    tried += "\n  - " + s.name + ": " + reason;
  }
  throw CredentialsError(
      "no AWS credentials found. Tried, in order:" + tried +
      "\nSet AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure a profile (aws configure), "
      "or run on an EC2 instance with an IAM role.");
}

}  // namespace

CredentialSource env_source() { return {"environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)", load_env}; }

CredentialSource shared_file_source(const std::string& profile) {
  return {"shared files (" + home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials") + ", " +
              home_file("AWS_CONFIG_FILE", ".aws/config") + "), profile '" + profile_name(profile) + "'",
          [profile](std::string* why) { return load_shared_files(profile, why); }};
}

CredentialSource imds_source() {
  auto imds = std::make_shared<ImdsClient>();
  return {"EC2 instance role (IMDSv2 at " + imds->endpoint() + ")",
          [imds](std::string* why) { return load_imds(*imds, why); }};
}

CredentialsCache::CredentialsCache(std::vector<CredentialSource> chain)
    : ExpiringCache([chain](int64_t) { return first_in(chain); }, false) {}

std::shared_ptr<CredentialsCache> static_credentials(Credentials c) {
  c.source = "static";
  return std::make_shared<CredentialsCache>([c](int64_t) { return c; });
}

std::shared_ptr<CredentialsCache> default_credentials(const std::string& profile) {
  return std::make_shared<CredentialsCache>(
      std::vector<CredentialSource>{env_source(), shared_file_source(profile), imds_source()});
}

std::string resolve_region(const std::string& flag, const std::string& profile, std::string* source, bool use_imds) {
  auto found = [&](const std::string& r, const std::string& s) {
    if (source) *source = s;
    return r;
  };
  if (!flag.empty()) return found(flag, "--region");
  if (auto r = env("AWS_REGION"); !r.empty()) return found(r, "AWS_REGION");
  if (auto r = env("AWS_DEFAULT_REGION"); !r.empty()) return found(r, "AWS_DEFAULT_REGION");
  const std::string conf_path = home_file("AWS_CONFIG_FILE", ".aws/config");
  if (const auto ini = read_ini(conf_path)) {
    if (auto r = value(*ini, config_section(*ini, profile_name(profile)), "region"); !r.empty()) return found(r, conf_path);
  }
  if (use_imds && !imds_disabled()) {
    try {
      if (auto r = ImdsClient().get("/latest/meta-data/placement/region"); r && !trim(*r).empty())
        return found(trim(*r), "instance metadata");
    } catch (const std::exception&) {
      // not on EC2: fall through to the default
    }
  }
  return found("us-east-1", "default");
}

}  // namespace aws
