// Credential providers and the cache; see credentials.h.
#include "aws/credentials.h"
#include "cloud/http.h"

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "cloud/json.h"
#include "cloud/token_cache.h"
#include "common/text.h"

namespace aws {

using cloud::env;

namespace {

using gan::trim;

std::string home_file(const char* env_name, const char* default_rel) {
  std::string p = env(env_name);
  if (!p.empty()) return p;
  std::string home = env("HOME");
  return home.empty() ? "" : home + "/" + default_rel;
}

std::optional<std::string> read_text(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::ifstream f(path);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string profile_name(const std::string& given) {
  if (!given.empty()) return given;
  std::string p = env("AWS_PROFILE");
  return p.empty() ? "default" : p;
}

// The key/value pairs of `section` in an INI file, or nullptr.
const std::vector<std::pair<std::string, std::string>>* section(const IniFile& ini, const std::string& name) {
  for (const auto& s : ini)
    if (s.first == name) return &s.second;
  return nullptr;
}

std::string value(const std::vector<std::pair<std::string, std::string>>* kv, const std::string& key) {
  if (!kv) return "";
  for (const auto& p : *kv)
    if (p.first == key) return p.second;
  return "";
}

// In the config file a profile is "[profile NAME]", except "[default]".
const std::vector<std::pair<std::string, std::string>>* config_section(const IniFile& ini, const std::string& profile) {
  if (auto* s = section(ini, "profile " + profile)) return s;
  return profile == "default" ? section(ini, "default") : nullptr;
}

}  // namespace

IniFile parse_ini(const std::string& text) {
  IniFile out;
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
      out.emplace_back(name, std::vector<std::pair<std::string, std::string>>{});
      continue;
    }
    size_t eq = t.find('=');
    if (eq == std::string::npos || out.empty()) continue;  // nested (indented) values are not used here
    out.back().second.emplace_back(trim(t.substr(0, eq)), trim(t.substr(eq + 1)));
  }
  return out;
}

std::optional<Credentials> EnvProvider::load(int64_t, std::string* why) {
  Credentials c;
  c.access_key_id = env("AWS_ACCESS_KEY_ID");
  c.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  c.session_token = env("AWS_SESSION_TOKEN");
  c.source = "environment";
  if (c.access_key_id.empty() && c.secret_access_key.empty()) {
    if (why) *why = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set";
    return std::nullopt;
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    throw CredentialsError(std::string(c.access_key_id.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                           " is set but " + (c.access_key_id.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
                           " is not: set both, or neither");
  return c;
}

std::string SharedFileProvider::name() const {
  return "shared files (" + home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials") + ", " +
         home_file("AWS_CONFIG_FILE", ".aws/config") + "), profile '" + profile_name(profile_) + "'";
}

std::optional<Credentials> SharedFileProvider::load(int64_t, std::string* why) {
  const std::string profile = profile_name(profile_);
  const std::string cred_path = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  const std::string conf_path = home_file("AWS_CONFIG_FILE", ".aws/config");
  auto cred_text = read_text(cred_path);
  auto conf_text = read_text(conf_path);
  const std::vector<std::pair<std::string, std::string>>* kv = nullptr;
  std::string where;
  IniFile cred_ini, conf_ini;
  if (cred_text) {
    cred_ini = parse_ini(*cred_text);
    kv = section(cred_ini, profile);
    where = cred_path;
  }
  if ((!kv || value(kv, "aws_access_key_id").empty()) && conf_text) {
    conf_ini = parse_ini(*conf_text);
    if (auto* c = config_section(conf_ini, profile); c && !value(c, "aws_access_key_id").empty()) {
      kv = c;
      where = conf_path;
    }
  }
  if (!kv || value(kv, "aws_access_key_id").empty()) {
    if (why) {
      if (!cred_text && !conf_text) *why = "neither " + cred_path + " nor " + conf_path + " exists";
      else *why = "no profile '" + profile + "' with aws_access_key_id in " + cred_path + " or " + conf_path;
    }
    return std::nullopt;
  }
  Credentials c;
  c.access_key_id = value(kv, "aws_access_key_id");
  c.secret_access_key = value(kv, "aws_secret_access_key");
  c.session_token = value(kv, "aws_session_token");
  c.source = "profile '" + profile + "' in " + where;
  if (c.secret_access_key.empty())
    throw CredentialsError("profile '" + profile + "' in " + where +
                           " has aws_access_key_id but no aws_secret_access_key: add it");
  return c;
}

// ---- IMDSv2 ----

bool ImdsClient::disabled() {
  const std::string v = gan::lower(env("AWS_EC2_METADATA_DISABLED"));
  return v == "true" || v == "1";
}

ImdsClient::ImdsClient(std::string endpoint, std::shared_ptr<cloud::HttpTransport> transport)
    : endpoint_(std::move(endpoint)), transport_(std::move(transport)) {
  if (endpoint_.empty()) endpoint_ = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (endpoint_.empty()) endpoint_ = "http://169.254.169.254";
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  // Off EC2 nothing answers at 169.254.169.254: fail in a second, not a minute.
  if (!transport_) transport_ = cloud::metadata_transport(2);
}

std::string ImdsClient::token(bool refresh) {
  constexpr int64_t kTtl = 21600;  // the maximum IMDSv2 session, 6 hours
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (!refresh && !token_.empty() && now < token_expires_ - 60) return token_;
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
  token_ = trim(r.body);
  token_expires_ = now + kTtl;
  return token_;
}

std::optional<std::string> ImdsClient::get(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int attempt = 0; attempt < 2; attempt++) {
    cloud::HttpRequest req;
    req.url = endpoint_ + path;
    req.headers = {{"X-aws-ec2-metadata-token", token(attempt > 0)}};
    req.timeout_ms = 2000;
    req.no_proxy = true;
    cloud::HttpResponse r = transport_->perform(req);
    if (r.status == 200) return r.body;
    if (r.status == 404) return std::nullopt;
    if (r.status == 401 && attempt == 0) continue;  // the session token expired: get a new one
    throw CredentialsError("IMDS GET " + endpoint_ + path + " answered HTTP " + std::to_string(r.status));
  }
  return std::nullopt;
}

ImdsProvider::ImdsProvider(std::shared_ptr<ImdsClient> imds)
    : imds_(imds ? std::move(imds) : std::make_shared<ImdsClient>()) {}

std::optional<Credentials> ImdsProvider::load(int64_t, std::string* why) {
  if (ImdsClient::disabled()) {
    if (why) *why = "disabled by AWS_EC2_METADATA_DISABLED";
    return std::nullopt;
  }
  const std::string base = "/latest/meta-data/iam/security-credentials/";
  std::optional<std::string> roles;
  try {
    roles = imds_->get(base);
  } catch (const cloud::TransportError& e) {
    if (why) *why = std::string("no metadata service answered (not on EC2?): ") + e.what();
    return std::nullopt;
  } catch (const CredentialsError& e) {
    // Something answers but will not hand out a session token or the role list (a hop limit of
    // 1 seen from a container, a proxy, IMDSv1 only): a reason for the chain's list of sources
    // tried, not an error that hides that list.
    if (why) *why = e.what();
    return std::nullopt;
  }
  std::string role = trim(roles ? roles->substr(0, roles->find('\n')) : "");
  if (role.empty()) {
    if (why) *why = "this instance has no IAM role attached (attach an instance profile)";
    return std::nullopt;
  }
  auto doc = imds_->get(base + role);
  if (!doc) throw CredentialsError("IMDS lists role '" + role + "' but has no credentials for it");
  auto f = cloud::json_fields(*doc);
  if (f.count("Code") && f["Code"] != "Success")
    throw CredentialsError("IMDS credentials for role '" + role + "': " + f["Code"] + " " + f["Message"]);
  Credentials c;
  c.access_key_id = f["AccessKeyId"];
  c.secret_access_key = f["SecretAccessKey"];
  c.session_token = f["Token"];
  c.expiration = f.count("Expiration") ? cloud::parse_iso8601(f["Expiration"]) : 0;
  if (c.expiration < 0) c.expiration = 0;
  c.source = "EC2 instance role '" + role + "'";
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    throw CredentialsError("IMDS credentials for role '" + role + "' lack AccessKeyId or SecretAccessKey");
  return c;
}

std::optional<Credentials> ProviderChain::load(int64_t now, std::string* why) {
  std::string tried;
  for (const auto& p : providers_) {
    std::string reason;
    auto c = p->load(now, &reason);
    if (c) return c;
    tried += "\n  - " + p->name() + ": " + reason;
  }
  throw CredentialsError(
      "no AWS credentials found. Tried, in order:" + tried +
      "\nSet AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure a profile (aws configure), "
      "or run on an EC2 instance with an IAM role.");
}

CredentialsCache::CredentialsCache(std::shared_ptr<CredentialsProvider> provider) : provider_(std::move(provider)) {}

Credentials CredentialsCache::get(int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_ && (cached_->expiration == 0 || now < cached_->expiration - kRefreshBeforeExpiry)) return *cached_;
  try {
    std::string why;
    auto c = provider_->load(now, &why);
    if (!c) throw CredentialsError("no AWS credentials from " + provider_->name() + ": " + why);
    cached_ = c;
  } catch (const std::exception&) {
    // A refresh that fails while the old keys are still valid is not yet an error.
    if (cached_ && cached_->expiration != 0 && now < cached_->expiration) return *cached_;
    throw;
  }
  return *cached_;
}

void CredentialsCache::invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  cached_.reset();
}

std::shared_ptr<CredentialsCache> default_credentials(const std::string& profile) {
  std::vector<std::shared_ptr<CredentialsProvider>> chain = {
      std::make_shared<EnvProvider>(), std::make_shared<SharedFileProvider>(profile),
      std::make_shared<ImdsProvider>()};
  return std::make_shared<CredentialsCache>(std::make_shared<ProviderChain>(std::move(chain)));
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
  if (auto text = read_text(conf_path)) {
    IniFile ini = parse_ini(*text);
    std::string r = value(config_section(ini, profile_name(profile)), "region");
    if (!r.empty()) return found(r, conf_path);
  }
  if (use_imds && !ImdsClient::disabled()) {
    try {
      ImdsClient imds;
      if (auto r = imds.get("/latest/meta-data/placement/region"); r && !trim(*r).empty())
        return found(trim(*r), "instance metadata");
    } catch (const std::exception&) {
      // not on EC2: fall through to the default
    }
  }
  return found("us-east-1", "default");
}

}  // namespace aws
