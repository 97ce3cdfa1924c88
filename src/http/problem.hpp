#pragma once
// Every error answer is made here, as application/problem+json (RFC 9457).
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "domain/order.hpp"
#include "http/message.hpp"

namespace orderflow::http {

// A client-visible error: thrown by handlers and services, turned into a response in one place.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string detail)
      : std::runtime_error(detail), status_(status), code_(std::move(code)) {}

  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::vector<domain::FieldError>& errors() const { return errors_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

  ApiError& with_errors(std::vector<domain::FieldError> e) {
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
  std::vector<domain::FieldError> errors_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

ApiError validation_error(std::string detail, std::vector<domain::FieldError> errors = {});
ApiError not_found(std::string detail);
ApiError conflict(std::string detail);
ApiError unavailable(std::string detail, int retry_after_s = 1);

Response problem_response(const ApiError& e, const std::string& request_id);

}  // namespace orderflow::http
