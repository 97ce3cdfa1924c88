#pragma once
// What every parser of a request body does first: the body must be an object, and ids match
// their pattern. Errors are collected, not thrown, so that a client sees every field at once.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"

namespace orderflow::domain {

// The body as a JSON object; null, with the error recorded, when it is something else.
const boost::json::object* body_object(const boost::json::value& body,
                                       std::vector<core::FieldError>& errors);

// The rule of client-chosen ids (order ids, product ids), as an error names it.
inline constexpr std::string_view kClientIdRule = "must match ^[A-Za-z0-9._:-]{1,100}$";

// The string `key` when `valid` accepts it; nullopt, with `rule` as the field's error, when it
// is absent, not a string or not valid.
std::optional<std::string> required_id(const boost::json::object& o, std::string_view key,
                                       bool (*valid)(std::string_view), std::string_view rule,
                                       std::vector<core::FieldError>& errors);

// As required_id, but absence (or null) is no error.
std::optional<std::string> optional_id(const boost::json::object& o, std::string_view key,
                                       bool (*valid)(std::string_view), std::string_view rule,
                                       std::vector<core::FieldError>& errors);

}  // namespace orderflow::domain
