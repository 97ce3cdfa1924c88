#include "util/json.hpp"

#include <boost/json/parse.hpp>

namespace orderflow {

std::optional<boost::json::value> try_parse_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

}  // namespace orderflow
