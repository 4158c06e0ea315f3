// Hashes, HMACs (a kept context per thread), base64, hex and constant-time comparison.
#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace sms::crypto {
namespace {

// An HMAC context per thread and digest that keeps its key: OpenSSL 3's one-shot HMAC() fetched
// the algorithms and derived the key's pads at every call (~20,000 instructions per webhook);
// with the same key as last time, re-initialising the context only resets it.
class Hmac {
 public:
  explicit Hmac(const char* digest) : digest_(digest) {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx_ = mac ? EVP_MAC_CTX_new(mac) : nullptr;
  }
  ~Hmac() {
    EVP_MAC_CTX_free(ctx_);
    OPENSSL_cleanse(key_.data(), key_.size());
  }
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  std::string operator()(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    if (!ctx_ || !init(key) || !EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) ||
        !EVP_MAC_final(ctx_, out, &len, sizeof out))
      throw std::runtime_error("HMAC failed");
    return {reinterpret_cast<char*>(out), len};
  }

 private:
  bool init(std::string_view key) {
    if (has_key_ && key == key_) return EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1;  // null: the same key
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_), 0),
                           OSSL_PARAM_construct_end()};
    // An empty key must still be a valid pointer, or OpenSSL would reuse the last one.
    static const unsigned char kEmpty[1] = {0};
    auto* bytes = key.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(key.data());
    OPENSSL_cleanse(key_.data(), key_.size());
    has_key_ = EVP_MAC_init(ctx_, bytes, key.size(), params) == 1;
    key_.assign(key);
    return has_key_;
  }

  const char* digest_;
  EVP_MAC_CTX* ctx_;
  std::string key_;
  bool has_key_ = false;
};

}  // namespace

std::string hmac_sha1(std::string_view key, std::string_view data) {
  thread_local Hmac hmac("SHA1");
  return hmac(key, data);
}
std::string hmac_sha256(std::string_view key, std::string_view data) {
  thread_local Hmac hmac("SHA256");
  return hmac(key, data);
}

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr))
    throw std::runtime_error("SHA-256 failed");
  return {reinterpret_cast<char*>(out), len};
}

std::string base64_encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64url_decode(std::string_view s) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  if (s.size() % 4 == 1) return {};
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : s) {
    auto v = alphabet.find(c);
    if (v == std::string_view::npos) return {};
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::string hex_encode(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xF]);
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_hex(std::size_t n_bytes) {
  std::string raw(n_bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(n_bytes)) != 1)
    throw std::runtime_error("the OS random generator failed");
  return hex_encode(raw);
}

}  // namespace sms::crypto
