// The one place http/ includes cpp-httplib.
//
// Debian's libcpp-httplib-dev ships httplib.h in "split" form: declarations only, with the
// implementation compiled into libcpp-httplib.so (linked through http/module.mk). The header's
// class layouts depend on the feature macros, so they must match the ones the library was built
// with (its pkg-config Cflags: OpenSSL, zlib, Brotli). Including it anywhere else without them
// would compile and then misbehave at run time.
#pragma once
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif
#include <httplib.h>
