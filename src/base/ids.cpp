#include "base/ids.hpp"

#include <openssl/evp.h>

#include <array>
#include <random>
#include <stdexcept>

#include "base/time.hpp"

namespace orderflow {

namespace {
std::mt19937_64& generator() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

constexpr char kHex[] = "0123456789abcdef";
}  // namespace

std::uint64_t random_below(std::uint64_t bound) {
  return std::uniform_int_distribution<std::uint64_t>{0, bound - 1}(generator());
}

std::string uuid_v7() {
  std::array<unsigned char, 16> b{};
  const auto ms = static_cast<std::uint64_t>(now_ms());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  const std::uint64_t r1 = generator()(), r2 = generator()();
  for (int i = 0; i < 2; ++i) b[6 + i] = static_cast<unsigned char>(r1 >> (8 * i));
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<unsigned char>(r2 >> (8 * i));
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x70);  // version 7
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // variant 10
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xF]);
  }
  return out;
}

bool is_valid_client_id(std::string_view id) {
  if (id.empty() || id.size() > 100) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

namespace {
std::string digest_hex(std::string_view bytes, const EVP_MD* md) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, md, nullptr) != 1)
    throw std::runtime_error("digest failed");
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}
}  // namespace

std::string sha256_hex(std::string_view bytes) {
  return digest_hex(bytes, EVP_sha256());
}

std::string sha1_hex(std::string_view bytes) {
  return digest_hex(bytes, EVP_sha1());
}

}  // namespace orderflow
