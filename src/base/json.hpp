#pragma once
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace orderflow {

inline void put_optional(boost::json::object& o, std::string_view key,
                         const std::optional<std::string>& v) {
  if (v) o[key] = *v;
}

inline std::optional<std::string> get_optional_string(const boost::json::object& o,
                                                      std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

// Parses JSON text; returns nullopt on malformed input instead of throwing.
std::optional<boost::json::value> try_parse_json(std::string_view text);

// A request body as JSON, read more strictly than try_parse_json: a string or key holding NUL
// (written "\u0000") is refused, and a number at one of `verbatim_paths` is kept as a string
// of its text exactly as written, so that a money amount is judged by its digits, not by the
// nearest double (9999.999 is not 10000.00). A path is keys joined by '.', "[]" for any array
// element: "items[].unit_price".
struct RequestJson {
  std::optional<boost::json::value> value;
  std::string error;  // why there is no value
};
RequestJson parse_request_json(std::string_view text,
                               std::span<const std::string_view> verbatim_paths = {});

// JSON text for responses: as boost::json::serialize, but doubles in their shortest plain form
// (0.106, not Boost 1.81's 1.06E-1), and non-finite doubles as null.
std::string to_json_text(const boost::json::value& v);

}  // namespace orderflow
