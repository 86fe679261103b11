// The page's files (http/assets/*), compiled into the binary by http/embed_assets.py so the
// monitor works offline and needs nothing but ./gan.
#pragma once
#include <cstddef>
#include <string>

namespace gan::http {

struct Asset {
  const char* name;          // "app.js"
  const char* content_type;  // "application/javascript; charset=utf-8"
  const unsigned char* data;
  size_t size;
};

// nullptr when there is no asset of that name.
const Asset* find_asset(const std::string& name);

}  // namespace gan::http
