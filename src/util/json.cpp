#include "util/json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>

namespace orderflow {

std::optional<boost::json::value> try_parse_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

namespace {
void write_json(std::string& out, const boost::json::value& v) {
  namespace json = boost::json;
  switch (v.kind()) {
    case json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      char buf[32];
      const auto end = std::to_chars(buf, buf + sizeof buf, d).ptr;  // shortest round trip
      out.append(buf, end);
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string(key));
        out += ':';
        write_json(out, value);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& value : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_json(out, value);
      }
      out += ']';
      return;
    }
    default:
      out += json::serialize(v);
  }
}
}  // namespace

std::string to_json_text(const boost::json::value& v) {
  std::string out;
  write_json(out, v);
  return out;
}

}  // namespace orderflow
