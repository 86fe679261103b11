// The guard every listing loop (S3 ListObjectsV2, GCS's XML listing, Azure List Blobs) keeps
// while it follows the server's continuation token (NextContinuationToken, NextMarker) page after
// page. A server, or something between gan and it, that answers "truncated" with a token it has
// already given would keep gan listing forever, growing the listing each time; one that hands out
// new tokens without end would too. A repeated token, or more than kMaxPages pages, is an error.
#pragma once
#include <exception>
#include <functional>
#include <set>
#include <string>

namespace cloud {

class ListingPages {
 public:
  // 10,000 pages is 10 million objects at the default page size (S3 1,000; Azure 5,000).
  static constexpr int kMaxPages = 10000;
  // `what` names the listing in errors: "LIST s3://bucket/prefix".
  explicit ListingPages(std::string what) : what_(std::move(what)) {}
  // Call with each page's token for the next page, before asking for it. Throws
  // std::runtime_error when the server gave this token before or the listing has too many pages.
  void next(const std::string& token);

 private:
  std::string what_;
  std::set<std::string> seen_;
  int pages_ = 1;
};

// Runs `count` independent jobs on up to `threads` threads and stops handing out new ones after
// the first failure, whose exception is returned (null when every job succeeded). Shared by the
// block/part uploads of every cloud client (S3 multipart parts, Azure blocks, GCS multipart parts
// in bearer mode), so "parallel parts, stop on first error, then clean up" is written once; a
// cancelled client's jobs fail at once, so a cancellation stops the whole upload too.
std::exception_ptr run_parallel(int count, int threads, const std::function<void(int index)>& job);

}  // namespace cloud
