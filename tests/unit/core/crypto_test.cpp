#include <catch2/catch.hpp>

#include "core/crypto.h"
#include "core/jwt.h"

using namespace sms;

TEST_CASE("HMACs and hashes match the RFC vectors") {
  CHECK(crypto::hex_encode(crypto::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");  // RFC 4231 case 2
  CHECK(crypto::hex_encode(crypto::hmac_sha1("Jefe", "what do ya want for nothing?")) ==
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");  // RFC 2202 case 2
  // An empty key is a valid (if useless) key, not an error: printf '' | openssl dgst -sha256 -hmac ""
  CHECK(crypto::hex_encode(crypto::hmac_sha256(std::string_view(), "")) ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  // Keys longer than the block size are hashed first: RFC 4231 case 6, RFC 2202 case 6.
  const std::string long_key(131, '\xaa');
  CHECK(crypto::hex_encode(crypto::hmac_sha256(long_key, "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(crypto::hex_encode(crypto::hmac_sha1(long_key.substr(0, 80), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "aa4ae5e15272d00e95705637ce8a3b55ed402112");
  CHECK(crypto::hex_encode(crypto::sha256("{}")) == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST_CASE("an HMAC is the same whether its key was used last or not") {
  // Each thread keeps its context and last key: repeating a key, switching and switching back
  // (as during a token rotation) must give the same results as the first time.
  const std::string jefe = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";  // RFC 2202 case 2
  const std::string message = "what do ya want for nothing?";
  for (int i = 0; i < 2; ++i) {
    CHECK(crypto::hex_encode(crypto::hmac_sha1("Jefe", message)) == jefe);
    CHECK(crypto::hex_encode(crypto::hmac_sha1("Jefe", message)) == jefe);
    CHECK(crypto::hex_encode(crypto::hmac_sha1(std::string(20, '\x0b'), "Hi There")) ==
          "b617318655057264e28bc0b6fb378c8ef146be00");  // RFC 2202 case 1
  }
  CHECK(crypto::hex_encode(crypto::hmac_sha1("", "")) == "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
  CHECK(crypto::hex_encode(crypto::hmac_sha1("Jefe", message)) == jefe);
}

TEST_CASE("base64 and base64url") {
  CHECK(crypto::base64_encode("") == "");
  CHECK(crypto::base64_encode("f") == "Zg==");
  CHECK(crypto::base64_encode("fo") == "Zm8=");
  CHECK(crypto::base64_encode("foo") == "Zm9v");
  CHECK(crypto::base64_encode(std::string(100, '\xff')).find('\n') == std::string::npos);
  CHECK(crypto::base64url_decode("Zm9v") == "foo");
  CHECK(crypto::base64url_decode("Zm8") == "fo");
  CHECK(crypto::base64url_decode("Zm8=") == "fo");
  CHECK(crypto::base64url_decode("_-8") == "\xff\xef");
  CHECK(crypto::base64url_decode("Zm9v!") == "");
  CHECK(crypto::base64url_decode("Z") == "");
}

TEST_CASE("constant-time comparison and random ids") {
  CHECK(crypto::constant_time_equal("abc", "abc"));
  CHECK_FALSE(crypto::constant_time_equal("abc", "abd"));
  CHECK_FALSE(crypto::constant_time_equal("abc", "abcd"));
  CHECK(crypto::constant_time_equal("", ""));
  auto a = crypto::random_hex(16), b = crypto::random_hex(16);
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
}

TEST_CASE("JWT claims and exp are decoded without verification") {
  auto seg = [](const std::string& json) {
    auto b = crypto::base64_encode(json);
    for (auto& c : b) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!b.empty() && b.back() == '=') b.pop_back();
    return b;
  };
  auto token = seg(R"({"alg":"RS256"})") + "." + seg(R"({"exp":1900000000,"organization":["acct"]})") + ".sig";
  REQUIRE(jwt::expiry(token));
  CHECK(*jwt::expiry(token) == 1900000000);
  CHECK((*jwt::claims(token))["organization"][0] == "acct");
  CHECK_FALSE(jwt::expiry(seg("{}") + "." + seg(R"({"exp":"soon"})") + ".x"));
  CHECK_FALSE(jwt::claims("only.two"));
  CHECK_FALSE(jwt::claims("a.b.c.d"));
  CHECK_FALSE(jwt::claims("x." + seg("[1,2]") + ".y"));
  CHECK_FALSE(jwt::claims("garbage"));
}
