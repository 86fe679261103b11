// Block uploads over cloud::upload_parts: Put Block from byte ranges of the file, several in
// flight, then one Put Block List that commits them in order.
// Uncommitted blocks of a failed (or cancelled) upload cost nothing and are discarded by the
// service after a week, so there is nothing to abort (unlike S3's multipart): a cancellation
// stops the blocks in flight and hands out no more.
#include <cstdio>

#include "azure/blob_client.h"
#include "cloud/crypto.h"
#include "cloud/upload.h"
#include "cloud/xml.h"

namespace azure {

std::string BlobClient::block_id(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "gan-block-%06d", index);
  return cloud::base64_encode(buf);
}

int64_t BlobClient::choose_block_size(int64_t file_size, int64_t preferred) {
  return cloud::choose_part_size(file_size, preferred, 1, kMaxBlocks);
}

void BlobClient::put_block(const std::string& container, const std::string& blob, const std::string& id,
                           const std::string& path, int64_t offset, int64_t length) {
  Call c("PUT BLOCK of", "PUT", container, blob);
  c.query = {{"comp", "block"}, {"blockid", id}};
  c.body_file = path;
  c.body_offset = offset;
  c.body_length = length;
  execute(c);
}

std::string BlobClient::put_block_list(const std::string& container, const std::string& blob,
                                       const std::vector<std::string>& ids, const std::string& content_type) {
  Call c("PUT BLOCK LIST of", "PUT", container, blob);
  c.query = {{"comp", "blocklist"}};
  if (!content_type.empty()) c.headers.emplace_back("x-ms-blob-content-type", content_type);
  c.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  for (const auto& id : ids) c.body += "<Latest>" + cloud::xml_escape(id) + "</Latest>";
  c.body += "</BlockList>";
  return execute(c).header("etag");
}

std::string BlobClient::upload_blocks(const std::string& container, const std::string& blob, const std::string& path,
                                      int64_t size, const std::string& content_type) {
  cloud::PartedUpload up;
  up.send_part = [&](int i, int64_t offset, int64_t length) {
    put_block(container, blob, block_id(i), path, offset, length);
    return block_id(i);
  };
  up.commit = [&](const std::vector<std::string>& ids) { return put_block_list(container, blob, ids, content_type); };
  return cloud::upload_parts(size, choose_block_size(size, config_.block_size), config_.concurrency, up);
}

}  // namespace azure
