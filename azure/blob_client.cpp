// The Blob dialect; see blob_client.h.
#include "azure/blob_client.h"

#include <cstdio>
#include <cstdlib>

#include "cloud/crypto.h"
#include "cloud/xml.h"
#include "common/dates.h"
#include "common/markup.h"
#include "common/text.h"

namespace azure {

// List Blobs' query and elements; see cloud::ListingNames.
static const cloud::ListingNames kListing = {
    {{"restype", "container"}, {"comp", "list"}}, "maxresults", "marker",
    "Blobs", "Blob", "Name", "Properties", "Content-Length", "Etag", "Content-Type", "Last-Modified", gan::parse_http_date,
    "BlobPrefix", "Name", "NextMarker", ""};

BlobClient::BlobClient(BlobClientConfig config)
    : ObjectClient(config, {"Content-Type", "x-ms-range", "ContainerNotFound", {{"x-ms-blob-type", "BlockBlob"}}, kListing,
                            1, kMaxBlocks}),
      config_(std::move(config)) {
  if (config_.account.empty()) throw std::invalid_argument("BlobClient needs an account name");
  if (config_.credential.kind == AzureCredential::Kind::Bearer && !config_.credential.tokens)
    throw std::invalid_argument("BlobClient: a bearer credential needs a token source");
  std::string endpoint = config_.endpoint.empty() ? "https://" + config_.account + ".blob.core.windows.net" : config_.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  size_t sep = endpoint.find("://");
  if (sep == std::string::npos)
    throw std::invalid_argument("--azure-endpoint '" + endpoint +
                                "' needs a scheme: https://account.blob.core.windows.net or "
                                "http://127.0.0.1:10000/devstoreaccount1");
  base_scheme_host_ = endpoint.substr(0, endpoint.find('/', sep + 3));
  base_path_ = endpoint.substr(base_scheme_host_.size());
  if (endpoint.find('?') != std::string::npos)
    throw std::invalid_argument("--azure-endpoint '" + endpoint + "' must not carry a query (put a SAS in AZURE_STORAGE_SAS_TOKEN)");
}

std::string BlobClient::blob_url(const std::string& container, const std::string& blob) const {
  return base_scheme_host_ + gan::uri_encode(base_path_ + "/" + container + (blob.empty() ? "" : "/" + blob), false);
}

cloud::HttpRequest BlobClient::prepare(Call& call) {
  const AzureCredential& cred = config_.credential;
  BlobRequest br{call.method, base_path_ + "/" + call.bucket + (call.key.empty() ? "" : "/" + call.key), call.query,
                 call.headers};
  int64_t length = call.body_file.empty() ? static_cast<int64_t>(call.body.size()) : call.body_length;
  if (call.method == "PUT" || call.method == "POST") br.headers.emplace_back("Content-Length", std::to_string(length));
  std::string authorization;
  if (cred.kind == AzureCredential::Kind::SharedKey)
    authorization = sign_shared_key(br, config_.account, cred.key, now());
  else
    br.headers.insert(br.headers.end(), {{"x-ms-date", rfc1123_date(now())}, {"x-ms-version", kApiVersion}});
  if (cred.kind == AzureCredential::Kind::Bearer) try {
      authorization = "Bearer " + cred.tokens->get(now()).token;
    } catch (const std::exception& e) {
      cloud::ErrorInfo info;
      info.code = "NoCredentials";
      throw BlobError(call.op + " " + target(call) + ": no Azure credentials (" + cred.skipped + "then " + e.what() + ")",
                      info, false);
    }
  cloud::HttpRequest req;
  req.method = call.method;
  req.url = blob_url(call.bucket, call.key);
  std::string query = encode_query(br.query);
  if (cred.kind == AzureCredential::Kind::Sas) query += (query.empty() ? "" : "&") + cred.sas;
  if (!query.empty()) req.url += "?" + query;
  for (auto& h : br.headers)
    if (h.first != "Content-Length") req.headers.push_back(h);  // curl sends the real length itself
  if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
  return req;
}

bool BlobClient::recover(const Call&, const cloud::HttpResponse& resp, const cloud::ErrorInfo& err, unsigned& used) {
  enum : unsigned { kRefreshed = 1, kSkewFixed = 2 };
  const AzureCredential& cred = config_.credential;
  if (cred.kind == AzureCredential::Kind::Bearer && (resp.status == 401 || err.code == "InvalidAuthenticationInfo") &&
      !(used & kRefreshed)) {
    cred.tokens->invalidate();  // the token expired early or was revoked: fetch another, once
    used |= kRefreshed;
    return true;
  }
  if (resp.status == 403 && err.code == "AuthenticationFailed" && !(used & kSkewFixed)) {
    // Azure rejects a x-ms-date more than 15 minutes off: sign with the server's clock from now on.
    int64_t server = gan::parse_http_date(resp.header("date"));
    if (server > 0 && std::llabs(server - now()) > 300) {
      set_server_time(server);
      used |= kSkewFixed;
      return true;
    }
  }
  return false;
}

BlobError BlobClient::failure(const Call& call, const cloud::ErrorInfo& e) const {
  return BlobError(describe_blob_error(call.op, config_.account, call.bucket, call.shown(), e,
                                       config_.credential.source, endpoint_url()), e, is_transient_blob_error(e));
}

void BlobClient::create_container(const std::string& container) {
  Call c("CREATE CONTAINER", "PUT", container);
  c.query = {{"restype", "container"}};
  c.quiet_statuses = {409};  // ContainerAlreadyExists
  execute(c);
}

std::string BlobClient::sas_url(const std::string& container, const std::string& blob, int64_t expires_seconds) {
  const AzureCredential& cred = config_.credential;
  const std::string target = "az://" + config_.account + "/" + container + "/" + blob;
  const std::string generate = "az storage blob generate-sas --account-name " + config_.account + " -c " + container +
                               " -n '" + blob + "' --permissions r --expiry <time> --full-uri";
  if (cred.kind == AzureCredential::Kind::Sas) {
    const std::string sp = sas_field(cred.sas, "sp"), sr = sas_field(cred.sas, "sr");
    const int64_t se = gan::parse_iso8601(sas_field(cred.sas, "se"));  // -1: absent or unreadable
    std::string why;
    // Reading only: r, and at most l (list). Without sp=, a stored access policy (si=) gan cannot see decides.
    if (sp.find('r') == std::string::npos || sp.find_first_not_of("rl") != std::string::npos)
      why = "grants " + (sp.empty() ? std::string("permissions from a stored access policy") : "sp=" + sp) +
            ", more than reading, and a link would hand that to whoever gets it";
    else if (sr != "b")
      why = "is not scoped to one blob (" + (sr.empty() ? std::string("an account SAS") : "sr=" + sr) +
            "), and a link would let whoever gets it read every blob it covers";
    else if (se <= now() || se > now() + expires_seconds)
      why = "expires " + (se < 0 ? std::string("at an unreadable time") : sas_time(se)) + ", later than the " +
            std::to_string(expires_seconds) + " s a link may last";
    else
      return blob_url(container, blob) + "?" + cred.sas;
    throw NoSasLink("no link for " + target + ": the SAS from " + cred.source + " " + why +
                    ". Set AZURE_STORAGE_KEY (or a connection string with AccountKey=) so gan signs a short-lived "
                    "read-only link for one blob, or run: " + generate);
  }
  if (cred.kind == AzureCredential::Kind::Bearer)
    throw NoSasLink("a SAS link for " + target +
                    " needs the account key (AZURE_STORAGE_KEY or a connection string); with only a managed "
                    "identity, use: " + generate + " --as-user --auth-mode login");
  // Valid from 5 minutes ago (a client clock a little ahead of the service's). A link that may
  // travel over plain http leaks the blob to whoever watches: only a local emulator's http://
  // endpoint gets one without spr=https.
  const ServiceSas s{config_.account, container, blob, "r", now() - 300, now() + expires_seconds,
                     base_scheme_host_.rfind("https://", 0) == 0 ? "https" : ""};
  return blob_url(container, blob) + "?" + service_sas_query(s, cred.key);
}

// Put Block per part, then Put Block List. Nothing to abort (unlike S3's multipart): the service
// discards the uncommitted blocks of a failed or cancelled upload by itself after a week.
cloud::PartedUpload BlobClient::parted_upload(const std::string& container, const std::string& blob,
                                              const std::string& path, int64_t size, const std::string& content_type) {
  cloud::PartedUpload up;
  up.send_part = [=](int i, int64_t offset, int64_t length) {
    // Block ids: base64 of a fixed-width string, as Azure requires equal lengths within a blob.
    char name[32];
    std::snprintf(name, sizeof name, "gan-block-%06d", i);
    const std::string id = cloud::base64_encode(name);
    Call c("PUT BLOCK of", "PUT", container, blob);
    c.query = {{"comp", "block"}, {"blockid", id}};
    c.body_file = path;
    c.body_offset = offset;
    c.body_length = length;
    execute(c);
    return id;
  };
  up.commit = [=](const std::vector<std::string>& ids) {
    Call c("PUT BLOCK LIST of", "PUT", container, blob);
    c.query = {{"comp", "blocklist"}};
    if (!content_type.empty()) c.headers.emplace_back("x-ms-blob-content-type", content_type);
    c.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (const auto& id : ids) c.body += "<Latest>" + gan::markup_escape(id) + "</Latest>";
    c.body += "</BlockList>";
    return execute(c).header("etag");
  };
  return up;
}

}  // namespace azure
