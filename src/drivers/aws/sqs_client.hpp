#pragma once
// A client of Amazon SQS's JSON protocol (AWS JSON 1.0: POST / with X-Amz-Target:
// AmazonSQS.<Action>), signed with Signature Version 4, over Beast: HTTPS with the system's CA
// store and host name verification, or plain HTTP to a loopback endpoint (an emulator). Keeps
// up to `max_connections` keep-alive connections, one request in flight on each (HTTP/1.1), and
// retries as the AWS SDKs' standard mode does: throttling, 5xx answers and lost connections, up
// to `max_attempts` in all, with exponential backoff and full jitter. After a call found SQS
// unreachable, other calls fail at once (SqsUnavailable) for a second, then one tries again,
// once.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/errors.hpp"
#include "drivers/aws/sigv4.hpp"

namespace orderflow::aws {

struct SqsOptions {
  // https://sqs.<region>.amazonaws.com, or http://127.0.0.1:PORT (plain HTTP to loopback only).
  std::string endpoint;
  std::string region;
  Credentials credentials;
  std::size_t max_connections = 32;
  // An attempt's, beyond a long poll's own wait: SQS answers in milliseconds, and a client's
  // order waits for the send.
  std::chrono::milliseconds timeout{2'000};
  int max_attempts = 3;
  std::chrono::milliseconds base_backoff{50}, max_backoff{20'000};
};

// SQS did not answer, or kept failing after the retries (throttled, 5xx): the queue is
// unavailable (503 to clients).
class SqsUnavailable : public core::DependencyUnavailable {
 public:
  explicit SqsUnavailable(const std::string& what) : core::DependencyUnavailable("queue", what) {}
};

// SQS refused the request: `code()` is its error code without the namespace
// ("QueueDoesNotExist", "InvalidParameterValue", …), `status()` the HTTP status.
class SqsError : public std::runtime_error {
 public:
  SqsError(std::string code, unsigned status, const std::string& message)
      : std::runtime_error(code + ": " + message), code_(std::move(code)), status_(status) {}
  const std::string& code() const { return code_; }
  unsigned status() const { return status_; }

 private:
  std::string code_;
  unsigned status_;
};

struct SqsClientStats {
  std::uint64_t requests = 0, retries = 0, connects = 0;
};

class SqsClient {
 public:
  // Throws std::invalid_argument for an endpoint it will not use.
  SqsClient(boost::asio::any_io_executor executor, SqsOptions options);
  ~SqsClient();

  // Calls `action` ("SendMessageBatch", …) with `request`, and returns SQS's answer. `wait` is
  // how long the call may take on the server's side on purpose (a long poll's WaitTimeSeconds).
  boost::asio::awaitable<boost::json::object> call(std::string action, boost::json::object request,
                                                   std::chrono::milliseconds wait = {});
  SqsClientStats stats() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace orderflow::aws
