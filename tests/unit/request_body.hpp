#pragma once
// A request body as the API reads it (money fields kept as written): what the domain parsers
// are given in service.
#include <boost/json/value.hpp>

#include <string_view>

#include "base/json.hpp"
#include "core/domain/money.hpp"

inline boost::json::value request_body(std::string_view text) {
  return *orderflow::parse_request_json(text, orderflow::domain::kMoneyFields).value;
}
