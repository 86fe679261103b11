// Runs `count` independent jobs on up to `threads` threads and stops handing out new ones after
// the first failure, whose exception is returned (null when every job succeeded). Shared by the
// block/part uploads of every cloud client (S3 multipart parts, Azure blocks, GCS multipart parts
// in bearer mode), so "parallel parts, stop on first error, then clean up" is written once; a
// cancelled client's jobs fail at once, so a cancellation stops the whole upload too.
#pragma once
#include <exception>
#include <functional>

namespace aws {

std::exception_ptr run_parallel(int count, int threads, const std::function<void(int index)>& job);

}  // namespace aws
