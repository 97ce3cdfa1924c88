#include "drivers/aws/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <ctime>

#include "base/ids.hpp"
#include "base/percent.hpp"

namespace orderflow::aws {

namespace {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size);
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A header value as SigV4 compares it: trimmed, runs of spaces as one.
std::string trimmed(std::string_view value) {
  std::string out;
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Decodes %XX so that a query parameter is encoded once, the SigV4 way, whatever the sender did.
std::string uri_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const auto amp = std::min(query.find('&'), query.size());
    const auto param = query.substr(0, amp);
    query.remove_prefix(std::min(amp + 1, query.size()));
    if (param.empty()) continue;
    const auto eq = param.find('=');
    const auto key = param.substr(0, eq);
    const auto value = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    params.emplace_back(percent_encode(uri_decode(key)), percent_encode(uri_decode(value)));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += key + '=' + value;
  }
  return out;
}

}  // namespace

Signature sign_v4(const RequestToSign& request, const Credentials& credentials,
                  std::string_view region, std::string_view service, std::string_view amz_date) {
  Signature out;
  out.headers.emplace_back("X-Amz-Date", std::string(amz_date));
  if (!credentials.session_token.empty())
    out.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);

  // Headers by lower-case name, values of a repeated name joined by commas in order.
  std::vector<std::pair<std::string, std::string>> headers;
  using Headers = std::vector<std::pair<std::string, std::string>>;
  for (const Headers* list : {&request.headers, static_cast<const Headers*>(&out.headers)})
    for (const auto& [name, value] : *list) headers.emplace_back(lower(name), trimmed(value));
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers, signed_headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.back() = ',';  // replaces the previous line's '\n'
      canonical_headers += headers[i].second + '\n';
      continue;
    }
    canonical_headers += headers[i].first + ':' + headers[i].second + '\n';
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += headers[i].first;
  }

  const auto path = request.path.empty() ? std::string("/") : percent_encode(request.path, "/");
  out.canonical_request = request.method + '\n' + path + '\n' + canonical_query(request.query) +
                          '\n' + canonical_headers + '\n' + signed_headers + '\n' +
                          sha256_hex(request.body);

  const auto date = amz_date.substr(0, 8);
  const auto scope =
      std::string(date) + '/' + std::string(region) + '/' + std::string(service) + "/aws4_request";
  out.string_to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + '\n' + scope + '\n' +
                       sha256_hex(out.canonical_request);
  auto key = hmac_sha256("AWS4" + credentials.secret_access_key, date);
  key = hmac_sha256(key, region);
  key = hmac_sha256(key, service);
  key = hmac_sha256(key, "aws4_request");
  out.signature = hex(hmac_sha256(key, out.string_to_sign));
  out.headers.emplace_back(
      "Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + '/' + scope +
                           ", SignedHeaders=" + signed_headers + ", Signature=" + out.signature);
  return out;
}

std::string amz_date_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &utc);
  return buf;
}

}  // namespace orderflow::aws
