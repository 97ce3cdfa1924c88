#pragma once
// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html):
// how every request to an AWS API proves who sent it. Pure: the clock and the credentials are
// the caller's.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orderflow::aws {

struct Credentials {
  std::string access_key_id, secret_access_key;
  std::string session_token;  // "" for long-term keys
};

// What is signed of a request. `headers` must hold `host`; names in any case.
struct RequestToSign {
  std::string method;
  std::string path = "/";  // decoded: each segment is percent-encoded here
  std::string query;       // "a=1&b=2" as sent (encoded or not), or ""
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

struct Signature {
  std::string canonical_request, string_to_sign, signature;
  // The headers to send besides the request's own: X-Amz-Date, X-Amz-Security-Token (with a
  // session token) and Authorization.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Signs for `region` and `service` at `amz_date` ("20150830T123600Z", UTC). The session token,
// if any, is signed too (as the SDKs do).
Signature sign_v4(const RequestToSign& request, const Credentials& credentials,
                  std::string_view region, std::string_view service, std::string_view amz_date);

// The current time as X-Amz-Date wants it.
std::string amz_date_now();

}  // namespace orderflow::aws
