#pragma once
// Where an AWS client finds its credentials, region and endpoint, the way the AWS SDKs and CLI
// do, so that a deployment configured for them configures this client too.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/aws/sigv4.hpp"

namespace orderflow::aws {

// A variable of the environment (the caller resolves NAME_FILE secrets).
using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

// In the SDKs' order: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); else
// the profile AWS_PROFILE ("default" without it) of the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), then of the config file
// (AWS_CONFIG_FILE, else ~/.aws/config). Throws std::invalid_argument saying what is missing,
// never a secret.
Credentials find_credentials(const Lookup& env);

// AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` in the config file, else the region in
// an AWS queue URL's host (sqs.<region>.amazonaws.com); "" when none says.
std::string find_region(const Lookup& env, std::string_view queue_url);

// AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL, else https://sqs.<region>.amazonaws.com.
std::string sqs_endpoint(const Lookup& env, std::string_view region);

// The AWS files' format: `[section]`, then `key = value` lines; `#` and `;` start comments.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile parse_ini(std::string_view text);

}  // namespace orderflow::aws
