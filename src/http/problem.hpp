#pragma once
// Every error answer is made here, as application/problem+json (RFC 9457).
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "http/message.hpp"

namespace orderflow::http {

// An error answer of the HTTP layer itself (limits, framing, routing, access), and what a
// core::Error becomes (http_error): turned into a response in one place.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string detail)
      : std::runtime_error(detail), status_(status), code_(std::move(code)) {}

  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::vector<core::FieldError>& errors() const { return errors_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

  ApiError& with_errors(std::vector<core::FieldError> e) {
    errors_ = std::move(e);
    return *this;
  }
  ApiError& with_header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }

 private:
  int status_;
  std::string code_;
  std::vector<core::FieldError> errors_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// The status and code each kind of core::Error is answered with.
ApiError http_error(const core::Error& e);

Response problem_response(const ApiError& e, const std::string& request_id);

}  // namespace orderflow::http
