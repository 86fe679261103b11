// A small S3 client: the S3 dialect of cloud::ObjectClient (retries and cancellation: see
// cloud/engine.h). It signs (SigV4, or a bearer token for GCS) and fixes what it can (the clock,
// an expired token, the bucket's region: see recover()); anything else becomes an S3Error whose
// message says what to do.
// Addressing: virtual-hosted (bucket.s3.region.amazonaws.com) on AWS for DNS-safe bucket names;
// path style (endpoint/bucket/key) for custom endpoints and for bucket names with dots, which
// would break the TLS wildcard certificate.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "aws/credentials.h"
#include "aws/s3_error.h"
#include "cloud/engine.h"

namespace aws {

struct S3ClientConfig : cloud::ClientConfig {
  std::string endpoint;  // "" = AWS (https://s3.<region>.amazonaws.com); else "http://127.0.0.1:9000"
  std::string region = "us-east-1";
  enum class Addressing { Auto, PathStyle, VirtualHosted } addressing = Addressing::Auto;
  std::shared_ptr<CredentialsCache> credentials;  // required, unless bearer is set
  // OAuth tokens sent as "Authorization: Bearer" instead of a SigV4 signature: GCS's XML API (the
  // S3 protocol) with a VM's service account.
  std::shared_ptr<cloud::TokenCache> bearer;
  std::string scheme = "s3";  // the URL scheme messages name objects with ("gs" for GCS)
  // The message of a failure: (op, bucket, key, error, credential source); "" = S3's advice
  // (describe_s3_error). GCS gives its own (gcloud, IAM roles).
  std::function<std::string(const std::string&, const std::string&, const std::string&, const S3ErrorInfo&,
                            const std::string&)> describe;
};

class S3Client : public cloud::ObjectClient {
 public:
  static constexpr int64_t kMinPartSize = 5ll << 20;
  static constexpr int kMaxParts = 10000;

  explicit S3Client(S3ClientConfig config);

  // A presigned GET URL valid for expires_seconds (1 s to 7 days).
  std::string presign_get(const std::string& bucket, const std::string& key, int64_t expires_seconds);

  std::string region() const;
  // "http://127.0.0.1:4569" or "https://s3.us-east-1.amazonaws.com".
  std::string endpoint_url() const override;

 private:
  using Call = cloud::Call;
  // The S3 dialect (see cloud::Dialect).
  cloud::HttpRequest prepare(Call& call) override;
  S3ErrorInfo parse_error(const cloud::HttpResponse& resp) const override { return parse_s3_error(resp); }
  bool is_error_body(const std::string& body) const override { return body_is_error(body); }
  bool transient(const S3ErrorInfo& e) const override { return is_transient_s3_error(e); }
  bool recover(const Call& call, const cloud::HttpResponse& resp, const S3ErrorInfo& e, unsigned& used) override;
  S3Error failure(const Call& call, const S3ErrorInfo& e) const override;
  std::string target(const Call& call) const override { return config_.scheme + "://" + call.bucket + "/" + call.shown(); }
  cloud::PartedUpload parted_upload(const std::string& bucket, const std::string& key, const std::string& path,
                                    int64_t size, const std::string& content_type) override;
  void locate(const std::string& bucket, const std::string& key, std::string* host, std::string* path) const;

  S3ClientConfig config_;
  std::string scheme_ = "https", endpoint_host_;  // endpoint_host_ "": AWS's, for the region
  mutable std::mutex mu_;  // guards config_.region, which a redirect to the bucket's region changes
};

}  // namespace aws
