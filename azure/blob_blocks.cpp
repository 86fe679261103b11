// Block uploads for cloud::upload_parts: Put Block from byte ranges of the file, several in
// flight, then one Put Block List that commits them in order.
// Uncommitted blocks of a failed (or cancelled) upload cost nothing and are discarded by the
// service after a week, so there is nothing to abort (unlike S3's multipart): a cancellation
// stops the blocks in flight and hands out no more.
#include <cstdio>

#include "azure/blob_client.h"
#include "cloud/crypto.h"
#include "cloud/xml.h"

namespace azure {

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
    for (const auto& id : ids) c.body += "<Latest>" + cloud::xml_escape(id) + "</Latest>";
    c.body += "</BlockList>";
    return execute(c).header("etag");
  };
  return up;
}

}  // namespace azure
