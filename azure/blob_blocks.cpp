// Block uploads: Put Block from byte ranges of the file, several in flight (aws::run_parallel,
// as S3's and GCS's multipart uploads), then one Put Block List that commits them in order.
// Uncommitted blocks of a failed (or cancelled) upload cost nothing and are discarded by the
// service after a week, so there is nothing to abort (unlike S3's multipart): a cancellation
// stops the blocks in flight and hands out no more.
#include <algorithm>
#include <cstdio>

#include "aws/crypto.h"
#include "aws/parallel.h"
#include "aws/xml.h"
#include "azure/blob_client.h"

namespace azure {

std::string BlobClient::block_id(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "gan-block-%06d", index);
  return aws::base64_encode(buf);
}

int64_t BlobClient::choose_block_size(int64_t file_size, int64_t preferred) {
  constexpr int64_t kMiB = 1 << 20;
  int64_t block = std::max<int64_t>(preferred, 1);
  int64_t needed = (file_size + kMaxBlocks - 1) / kMaxBlocks;
  if (needed > block) block = (needed + kMiB - 1) / kMiB * kMiB;
  return block;
}

void BlobClient::put_block(const std::string& container, const std::string& blob, const std::string& id,
                           const std::string& path, int64_t offset, int64_t length) {
  Call c;
  c.op = "PUT BLOCK of";
  c.method = "PUT";
  c.container = container;
  c.blob = blob;
  c.query = {{"comp", "block"}, {"blockid", id}};
  c.body_file = path;
  c.body_offset = offset;
  c.body_length = length;
  execute(c);
}

std::string BlobClient::put_block_list(const std::string& container, const std::string& blob,
                                       const std::vector<std::string>& ids, const std::string& content_type) {
  Call c;
  c.op = "PUT BLOCK LIST of";
  c.method = "PUT";
  c.container = container;
  c.blob = blob;
  c.query = {{"comp", "blocklist"}};
  if (!content_type.empty()) c.headers.emplace_back("x-ms-blob-content-type", content_type);
  c.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  for (const auto& id : ids) c.body += "<Latest>" + aws::xml_escape(id) + "</Latest>";
  c.body += "</BlockList>";
  return execute(c).header("etag");
}

std::string BlobClient::upload_blocks(const std::string& container, const std::string& blob, const std::string& path,
                                      int64_t size, const std::string& content_type) {
  const int64_t block = choose_block_size(size, config_.block_size);
  const int blocks = static_cast<int>((size + block - 1) / block);
  std::vector<std::string> ids(static_cast<size_t>(blocks));
  for (int i = 0; i < blocks; i++) ids[static_cast<size_t>(i)] = block_id(i);
  std::exception_ptr first_error = aws::run_parallel(blocks, config_.concurrency, [&](int i) {
    int64_t off = static_cast<int64_t>(i) * block;
    put_block(container, blob, ids[static_cast<size_t>(i)], path, off, std::min(block, size - off));
  });
  if (first_error) std::rethrow_exception(first_error);
  return put_block_list(container, blob, ids, content_type);
}

}  // namespace azure
