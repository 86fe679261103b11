// The Downloader ./gan passes to the dataset loaders: libcurl fetches, OpenSSL's SHA-256 checks.
// App side (the Makefile links *_curl.cpp only into ./gan and the tests, never the core).
#pragma once
#include "data/dataset.h"

namespace gan {

Downloader curl_downloader();

}  // namespace gan
