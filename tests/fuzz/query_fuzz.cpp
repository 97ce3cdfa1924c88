// Query strings: the request target as the server splits and decodes it, then every list
// filter of the API. A bad parameter is a validation error (400), never anything else.
#include <boost/url/parse.hpp>

#include <cstdint>
#include <string>

#include "api/common.hpp"
#include "api/request_parsing.hpp"
#include "base/utf8.hpp"

using namespace orderflow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string target =
      "/api/orders?" + std::string(reinterpret_cast<const char*>(data), size);
  const auto url = boost::urls::parse_origin_form(target);
  if (!url) return 0;
  http::Request r;
  r.path = url->path();
  for (const auto& p : url->params()) r.query.emplace(p.key, p.value);
  // The pipeline refuses what is not UTF-8 text before any handler runs.
  for (const auto& [k, v] : r.query)
    if (!is_clean_text(k) || !is_clean_text(v)) return 0;
  try {
    (void)api::order_filter(r, std::nullopt);
  } catch (const core::Error& e) {
    if (e.kind() != core::ErrorKind::validation_failed) __builtin_trap();
  }
  try {
    (void)api::product_filter(r);
  } catch (const core::Error& e) {
    if (e.kind() != core::ErrorKind::validation_failed) __builtin_trap();
  }
  try {
    (void)api::int_param(r, "limit", 1, 100);
  } catch (const core::Error& e) {
    if (e.kind() != core::ErrorKind::validation_failed) __builtin_trap();
  }
  return 0;
}
