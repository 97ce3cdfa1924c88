#include "core/domain/validation.hpp"

namespace orderflow::domain {

const boost::json::object* body_object(const boost::json::value& body,
                                       std::vector<core::FieldError>& errors) {
  if (body.is_object()) return &body.get_object();
  errors.push_back({"", "body must be a JSON object"});
  return nullptr;
}

std::optional<std::string> required_id(const boost::json::object& o, std::string_view key,
                                       bool (*valid)(std::string_view), std::string_view rule,
                                       std::vector<core::FieldError>& errors) {
  const auto* v = o.if_contains(key);
  if (v && v->is_string() && valid(v->get_string())) return std::string(v->get_string());
  errors.push_back({std::string(key), std::string(rule)});
  return std::nullopt;
}

std::optional<std::string> optional_id(const boost::json::object& o, std::string_view key,
                                       bool (*valid)(std::string_view), std::string_view rule,
                                       std::vector<core::FieldError>& errors) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  return required_id(o, key, valid, rule, errors);
}

}  // namespace orderflow::domain
