// Listing page guard; see paging.h.
#include "aws/paging.h"

#include <stdexcept>

namespace aws {

void ListingPages::next(const std::string& token) {
  if (!seen_.insert(token).second)
    throw std::runtime_error(what_ + ": the server answered page " + std::to_string(pages_) +
                             " as truncated with a continuation token it had already given; stopping " +
                             "rather than listing the same pages forever (a faulty server or proxy?)");
  if (++pages_ > kMaxPages)
    throw std::runtime_error(what_ + ": more than " + std::to_string(kMaxPages) +
                             " pages and the server still says truncated; stopping (a faulty server or proxy?)");
}

}  // namespace aws
