// JSON writer and parser: exact text for escapes and numbers, errors that name the offset, and a
// seeded random round trip over every value type (including strings holding every byte value).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <limits>
#include <random>

#include "common/json.h"

using gan::Json;

TEST(ArtifactsJson, EscapesExactly) {
  std::string s = "q\"b\\n\nt\tc\x01\x1f r\r f\f b\b";
  EXPECT_EQ(Json(s).dump(), "\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001f r\\r f\\f b\\b\"");
  // UTF-8 passes through unescaped, '/' is left alone.
  EXPECT_EQ(Json("é中😀/").dump(), "\"é中😀/\"");
  EXPECT_EQ(Json::parse(Json(s).dump()).as_string(), s);
}

TEST(ArtifactsJson, NumbersPrintRoundTrip) {
  EXPECT_EQ(Json(42).dump(), "42");
  EXPECT_EQ(Json((long long)-9223372036854775807LL - 1).dump(), "-9223372036854775808");
  EXPECT_EQ(Json(0.1f).dump(), "0.1");
  EXPECT_EQ(Json(0.0002).dump(), "0.0002");
  EXPECT_EQ(Json(2e-4f).dump(), "0.0002");
  EXPECT_EQ(Json(1.0 / 3).dump(), "0.3333333333333333");
  EXPECT_EQ(Json(-1.5e-7).dump(), "-1.5e-7");
  EXPECT_EQ(Json(1e21).dump(), "1e+21");
  EXPECT_EQ(Json(1e20).dump(), "100000000000000000000");
  EXPECT_EQ(Json(123.25f).dump(), "123.25");
  EXPECT_EQ(Json(-0.0).dump(), "-0");
  EXPECT_EQ(Json(1e-6).dump(), "0.000001");
  EXPECT_EQ(Json(3.0).dump(), "3");
  EXPECT_EQ(Json(std::nanf("")).dump(), "null");
  EXPECT_EQ(Json(std::numeric_limits<double>::infinity()).dump(), "null");
  EXPECT_EQ(Json(-std::numeric_limits<float>::infinity()).dump(), "null");
  float third = 1.0f / 3;
  EXPECT_EQ((float)Json::parse(Json(third).dump()).as_double(), third);
  EXPECT_TRUE(Json::parse("12").is_int());
  EXPECT_FALSE(Json::parse("12.0").is_int());
  EXPECT_EQ(Json::parse("12.0").as_int(), 12);
  EXPECT_THROW(Json::parse("12.5").as_int(), std::runtime_error);
  // Beyond int64: a double, as other JSON readers do.
  EXPECT_DOUBLE_EQ(Json::parse("18446744073709551616").as_double(), 18446744073709551616.0);
  // Past a double's range: an error (RapidJSON's reader refuses it), not infinity; below it, zero.
  EXPECT_THROW(Json::parse("1e999"), std::runtime_error);
  EXPECT_EQ(Json::parse("-1e-999").as_double(), 0.0);
  EXPECT_TRUE(std::signbit(Json::parse("-1e-999").as_double()));
}

TEST(ArtifactsJson, ObjectsKeepOrderAndPrettyPrint) {
  Json o = Json::object();
  o.set("epochs", 100);
  o.set("lr", 0.0002);
  o.set("name", "acgan");
  o.set("batchNorm", true);
  Json filters = Json::array();
  filters.push(128);
  filters.push(64);
  o.set("convFilters", filters);
  o.set("empty", Json::object());
  o.set("none", nullptr);
  o.set("epochs", 10);  // replaced in place
  EXPECT_EQ(o.dump(),
            "{\n  \"epochs\": 10,\n  \"lr\": 0.0002,\n  \"name\": \"acgan\",\n  \"batchNorm\": true,\n"
            "  \"convFilters\": [\n    128,\n    64\n  ],\n  \"empty\": {},\n  \"none\": null\n}");
  EXPECT_EQ(o.dump(-1),
            "{\"epochs\":10,\"lr\":0.0002,\"name\":\"acgan\",\"batchNorm\":true,"
            "\"convFilters\":[128,64],\"empty\":{},\"none\":null}");
  Json back = Json::parse(o.dump());
  EXPECT_EQ(back.dump(), o.dump());
  EXPECT_EQ(back.at("convFilters").items()[1].as_int(), 64);
  EXPECT_EQ(back.find("missing"), nullptr);
  try {
    back.at("missing");
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  EXPECT_THROW(back.at("name").as_int(), std::runtime_error);
}

TEST(ArtifactsJson, ParsesEscapes) {
  Json j = Json::parse(R"({"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\u4e2d\ud83d\ude00\u0000z"})");
  EXPECT_EQ(j.at("s").as_string(), std::string("a\"b\\c/d\b\f\n\r\té中😀\0z", 23));
  EXPECT_TRUE(Json::parse(" [ true , false , null , -0.5e+1 ] ").is_array());
  EXPECT_DOUBLE_EQ(Json::parse("[-0.5e+1]").items()[0].as_double(), -5.0);
}

// field(): how the metadata services' answers are read, whose expiries come as a string (Azure's
// "expires_on": "1700000000") or a number (GCE's "expires_in": 3599).
TEST(ArtifactsJson, FieldReadsAnyValueAsText) {
  const Json j = Json::parse(R"({"s":"a\"b","n":3599,"big":1700000000,"f":0.25,"b":true,"z":null,"o":{"k":[1]},"s":"last"})");
  EXPECT_EQ(j.field("s"), "last");  // a repeated key: the last one, as find() and at() read it
  EXPECT_EQ(j.field("n"), "3599");
  EXPECT_EQ(j.field("big"), "1700000000");
  EXPECT_EQ(j.field("f"), "0.25");
  EXPECT_EQ(j.field("b"), "true");
  EXPECT_EQ(j.field("z"), "null");
  EXPECT_EQ(j.field("o"), R"({"k":[1]})");
  EXPECT_EQ(j.field("absent"), "");
  EXPECT_EQ(Json::parse("[1]").field("n"), "");  // not an object: nothing to find
}

// Files written by a real run (tests/fixtures/json: summary.json, best.json, evaluator.json and
// hyperparameters.json of a 2-epoch synthetic run with quality metrics): read and written again,
// each comes back byte for byte (the layout, the numbers' text, UTF-8 and key order).
TEST(ArtifactsJson, RealFilesRoundTripByteForByte) {
  for (const char* name : {"summary.json", "best.json", "evaluator.json", "hyperparameters.json"}) {
    std::ifstream in(std::string("tests/fixtures/json/") + name, std::ios::binary);
    ASSERT_TRUE(in) << name << " (run the tests from the repository root)";
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(Json::parse(text.str(), name).dump(2) + "\n", text.str()) << name;
  }
  // The float-typed values of summary.json print as floats (9 significant digits at most).
  EXPECT_EQ(Json(0.9866667f).dump(), "0.9866667");
  EXPECT_EQ(Json(2.7133944f).dump(), "2.7133944");
}

static std::string parse_error(const std::string& text) {
  std::string what = "(no error)";
  try { Json::parse(text, "hyperparameters.json"); } catch (const std::runtime_error& e) { what = e.what(); }
  return what;
}

TEST(ArtifactsJson, ErrorsNameSourceAndOffset) {
  EXPECT_EQ(parse_error("{\"a\":}"), "hyperparameters.json: unexpected character '}' at offset 5");
  EXPECT_NE(parse_error("{\"a\":1} x").find("after the JSON value at offset 8"), std::string::npos);
  EXPECT_NE(parse_error("\"abc").find("unterminated string"), std::string::npos);
  EXPECT_NE(parse_error("").find("unexpected end of input at offset 0"), std::string::npos);
  for (const char* bad : {"01", "-", "1.", "1e", ".5", "+1", "[1,]", "{\"a\" 1}", "{a:1}", "tru",
                          "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\nb\"", "[1 2]",
                          "{\"a\":1,}", "nul", "NaN"})
    EXPECT_NE(parse_error(bad).find("hyperparameters.json: "), std::string::npos) << bad;
  // Deep nesting is an error, not a stack overflow.
  EXPECT_NE(parse_error(std::string(100000, '[')).find("nesting deeper"), std::string::npos);
}

namespace {

std::string random_string(std::mt19937& rng) {
  std::string s(rng() % 12, ' ');
  for (char& c : s) {
    switch (rng() % 4) {
      case 0: c = (char)(rng() % 256); break;    // any byte, NUL and controls included
      case 1: c = "\"\\/\n\t\x01"[rng() % 6]; break;
      default: c = (char)('a' + rng() % 26);
    }
  }
  return s;
}

Json random_value(std::mt19937& rng, int depth) {
  int kind = (int)(rng() % (depth > 3 ? 6 : 8));
  switch (kind) {
    case 0: return Json();
    case 1: return Json(rng() % 2 == 0);
    case 2: return Json((long long)(((uint64_t)rng() << 32) | rng()));
    case 3: {
      uint32_t bits = rng();
      float f;
      std::memcpy(&f, &bits, 4);
      return Json(f);
    }
    case 4: {
      uint64_t bits = ((uint64_t)rng() << 32) | rng();
      double d;
      std::memcpy(&d, &bits, 8);
      return Json(d);
    }
    case 5: return Json(random_string(rng));
    case 6: {
      Json a = Json::array();
      for (int i = rng() % 5; i > 0; --i) a.push(random_value(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (int i = rng() % 5; i > 0; --i) o.set(random_string(rng), random_value(rng, depth + 1));
      return o;
    }
  }
}

// Structural equality between a value and its parsed text: floats compare as floats, non-finite
// numbers must come back as null.
void expect_same(const Json& orig, const Json& back, const std::string& where) {
  using T = Json::Type;
  if (orig.is_number() && !std::isfinite(orig.as_double())) {
    EXPECT_TRUE(back.is_null()) << where;
    return;
  }
  switch (orig.type()) {
    case T::Null: EXPECT_TRUE(back.is_null()) << where; break;
    case T::Bool: EXPECT_EQ(orig.as_bool(), back.as_bool()) << where; break;
    case T::Int: ASSERT_TRUE(back.is_int()) << where; EXPECT_EQ(orig.as_int(), back.as_int()) << where; break;
    case T::Float: EXPECT_EQ((float)orig.as_double(), (float)back.as_double()) << where; break;
    case T::Double: EXPECT_EQ(orig.as_double(), back.as_double()) << where; break;
    case T::String: EXPECT_EQ(orig.as_string(), back.as_string()) << where; break;
    case T::Array:
      ASSERT_EQ(orig.size(), back.size()) << where;
      for (size_t i = 0; i < orig.size(); ++i)
        expect_same(orig.items()[i], back.items()[i], where + "[" + std::to_string(i) + "]");
      break;
    case T::Object:
      ASSERT_EQ(orig.size(), back.size()) << where;
      for (size_t i = 0; i < orig.size(); ++i) {
        EXPECT_EQ(orig.members()[i].first, back.members()[i].first) << where;
        expect_same(orig.members()[i].second, back.members()[i].second, where + "." + orig.members()[i].first);
      }
      break;
  }
}

}  // namespace

TEST(ArtifactsJson, RandomRoundTrip) {
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 400; ++iter) {
    Json v = Json::object();
    v.set("v", random_value(rng, 0));
    for (int indent : {-1, 2}) {
      std::string text = v.dump(indent);
      Json back = Json::parse(text);
      expect_same(v, back, "iter " + std::to_string(iter));
      EXPECT_EQ(Json::parse(back.dump(indent)).dump(indent), back.dump(indent));
    }
    if (HasFailure()) break;
  }
}

TEST(ArtifactsJson, RandomGarbageNeverCrashes) {
  std::mt19937 rng(99);
  std::string base = R"({"a":[1,2.5,"x\u00e9",{"b":null,"c":true}],"d":-3e2})";
  int errors = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s = base;
    for (int k = 1 + rng() % 3; k > 0; --k) s[rng() % s.size()] = (char)(rng() % 128);
    try {
      Json::parse(s);
    } catch (const std::runtime_error& e) {
      ++errors;
      EXPECT_NE(std::string(e.what()).find("at offset"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(errors, 100);
}
