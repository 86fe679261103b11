// AzureStorage over azure::BlobClient; see azure_storage.h.
#include "storage/azure_storage.h"

#include <cctype>

#include "common/text.h"
#include "storage/local.h"

namespace gan {

namespace {

bool valid_container(const std::string& c) {
  if (c.size() < 3 || c.size() > 63 || c.front() == '-' || c.back() == '-') return false;
  for (size_t i = 0; i < c.size(); i++) {
    char ch = c[i];
    if (!(std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == '-')) return false;
    if (ch == '-' && i > 0 && c[i - 1] == '-') return false;
  }
  return true;
}

}  // namespace

std::string reference_azure_storage_url() {
  std::string account = env("AZURE_STORAGE_ACCOUNT");
  if (const std::string cs = env("AZURE_STORAGE_CONNECTION_STRING"); account.empty() && !cs.empty())
    account = azure::connection_string_account(azure::parse_connection_string(cs));
  if (account.empty())
    throw std::invalid_argument("-c azure_storage: set AZURE_STORAGE_ACCOUNT to the storage account name, or "
                                "AZURE_STORAGE_CONNECTION_STRING with AccountName=... (or use --storage "
                                "az://ACCOUNT/" + std::string(kReferenceAzureContainer) + ")");
  return "az://" + account + "/" + kReferenceAzureContainer;
}

AzureStorage::AzureStorage(const std::string& url, const AzureOptions& options) : RemoteStorage(url) {
  if (url.rfind("az://", 0) != 0) throw std::invalid_argument("not an az:// URL: '" + url + "'");
  std::string rest = url.substr(5);
  size_t s1 = rest.find('/');
  account_ = rest.substr(0, s1);
  std::string after = s1 == std::string::npos ? "" : rest.substr(s1 + 1);
  size_t s2 = after.find('/');
  bucket_ = after.substr(0, s2);
  prefix_ = s2 == std::string::npos ? "" : after.substr(s2 + 1);
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
  if (account_.empty() || bucket_.empty())
    throw std::invalid_argument("storage " + url + ": expected az://account/container[/prefix]");
  if (!valid_container(bucket_))
    throw std::invalid_argument("storage " + url + ": the container name '" + bucket_ +
                                "' must be 3 to 63 lowercase letters, digits and single hyphens");
  if (!prefix_.empty()) validate_storage_prefix(prefix_);

  azure::ResolvedCredential rc;
  std::string endpoint = options.endpoint;
  if (endpoint.empty()) endpoint = env("AZURE_STORAGE_BLOB_ENDPOINT");
  if (options.credential) {
    rc.credential = *options.credential;
  } else {
    rc = azure::resolve_credential(account_, endpoint);
  }
  azure::BlobClientConfig cfg;
  static_cast<cloud::ClientConfig&>(cfg) = options;
  cfg.account = account_;
  cfg.endpoint = !endpoint.empty() ? endpoint : rc.endpoint;
  cfg.credential = rc.credential;
  client_ = std::make_unique<azure::BlobClient>(cfg);
}

void AzureStorage::write(const std::function<std::string()>& f) {
  remote_call([&] {
    try {
      return f();
    } catch (const cloud::Error& e) {
      if (e.code() != "ContainerNotFound") throw;
      client().create_container(bucket_);
      return f();
    }
  });
}

std::string AzureStorage::presign(const std::string& key, int64_t expires_seconds) {
  try {
    return remote_call([&] { return client().sas_url(bucket_, full_key(key), expires_seconds); });
  } catch (const azure::NoSasLink& e) {
    throw PresignUnavailable(e.what());
  }
}

std::unique_ptr<Storage> open_azure_storage(const std::string& url, const AzureOptions& options) {
  return std::make_unique<AzureStorage>(url, options);
}

}  // namespace gan
