#pragma once
// What can go wrong below the HTTP layer, by kind. Services, backends and drivers throw these;
// only http/ decides which status each kind is answered with.
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace orderflow::core {

// One invalid field of a request: its path ("items[0].quantity") and what is wrong with it.
struct FieldError {
  std::string field;
  std::string message;
};

enum class ErrorKind {
  validation_failed,     // the request is malformed or breaks a rule of its fields
  not_found,             // what it names does not exist
  conflict,              // it contradicts what exists (a duplicate, stock already reserved)
  invalid_transition,    // the order's state machine does not allow the change
  idempotency_conflict,  // the Idempotency-Key was used for a different request
  unavailable,           // a dependency cannot serve now; the caller may retry shortly
};

// A failure the caller is told about, with the kind deciding how.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& detail, std::vector<FieldError> errors = {})
      : std::runtime_error(detail), kind_(kind), errors_(std::move(errors)) {}

  ErrorKind kind() const { return kind_; }
  const std::vector<FieldError>& errors() const { return errors_; }

 private:
  ErrorKind kind_;
  std::vector<FieldError> errors_;
};

inline Error validation_failed(const std::string& detail, std::vector<FieldError> errors = {}) {
  return {ErrorKind::validation_failed, detail, std::move(errors)};
}
inline Error not_found(const std::string& detail) {
  return {ErrorKind::not_found, detail};
}
inline Error conflict(const std::string& detail) {
  return {ErrorKind::conflict, detail};
}
inline Error invalid_transition(const std::string& detail) {
  return {ErrorKind::invalid_transition, detail};
}
inline Error idempotency_conflict(const std::string& detail) {
  return {ErrorKind::idempotency_conflict, detail};
}

// A backend (database, queue, cache) cannot serve right now: busy, locked, out of space,
// unreachable. The detail (logged, not sent) says why; the client is told which dependency.
class DependencyUnavailable : public Error {
 public:
  DependencyUnavailable(std::string dependency, const std::string& what)
      : Error(ErrorKind::unavailable, what), dependency_(std::move(dependency)) {}
  const std::string& dependency() const { return dependency_; }

 private:
  std::string dependency_;
};

}  // namespace orderflow::core
