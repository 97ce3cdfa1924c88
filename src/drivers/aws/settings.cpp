#include "drivers/aws/settings.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace orderflow::aws {

namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

std::string home_file(const Lookup& env, const char* variable, const char* under_home) {
  if (auto path = env(variable)) return *path;
  const auto home = env("HOME");
  return home ? *home + "/.aws/" + under_home : std::string();
}

IniFile read_ini(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_ini(text.str());
}

std::string profile_name(const Lookup& env) {
  return env("AWS_PROFILE").value_or("default");
}

// The profile's keys: `[name]` in the credentials file, `[profile name]` (or `[default]`) in
// the config file.
const std::map<std::string, std::string>* profile_in(const IniFile& file,
                                                     const std::string& section) {
  const auto it = file.find(section);
  return it == file.end() ? nullptr : &it->second;
}
const std::map<std::string, std::string>* config_profile(const IniFile& config,
                                                         const std::string& name) {
  return profile_in(config, name == "default" ? name : "profile " + name);
}

std::optional<std::string> key_of(const std::map<std::string, std::string>* keys, const char* key) {
  if (!keys) return std::nullopt;
  const auto it = keys->find(key);
  if (it == keys->end() || it->second.empty()) return std::nullopt;
  return it->second;
}

}  // namespace

IniFile parse_ini(std::string_view text) {
  IniFile out;
  std::string section;
  while (!text.empty()) {
    const auto end = std::min(text.find('\n'), text.size());
    auto line = trim(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      const auto close = line.find(']');
      section = std::string(
          trim(line.substr(1, close == std::string_view::npos ? line.npos : close - 1)));
      out[section];
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || section.empty()) continue;
    out[section][std::string(trim(line.substr(0, eq)))] = std::string(trim(line.substr(eq + 1)));
  }
  return out;
}

Credentials find_credentials(const Lookup& env) {
  const auto id = env("AWS_ACCESS_KEY_ID"), secret = env("AWS_SECRET_ACCESS_KEY");
  if (id || secret) {
    if (!id || !secret)
      throw std::invalid_argument(
          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
    return {*id, *secret, env("AWS_SESSION_TOKEN").value_or("")};
  }
  const auto profile = profile_name(env);
  const auto credentials_file = home_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  const auto config_file = home_file(env, "AWS_CONFIG_FILE", "config");
  const auto credentials = read_ini(credentials_file), config = read_ini(config_file);
  for (const auto* keys : {profile_in(credentials, profile), config_profile(config, profile)}) {
    const auto file_id = key_of(keys, "aws_access_key_id");
    const auto file_secret = key_of(keys, "aws_secret_access_key");
    if (file_id && file_secret)
      return {*file_id, *file_secret, key_of(keys, "aws_session_token").value_or("")};
  }
  throw std::invalid_argument(
      "no AWS credentials: set AWS_ACCESS_KEY_ID and "
      "AWS_SECRET_ACCESS_KEY, or profile '" +
      profile + "' in " + credentials_file + " or " + config_file);
}

std::string find_region(const Lookup& env, std::string_view queue_url) {
  if (auto region = env("AWS_REGION")) return *region;
  if (auto region = env("AWS_DEFAULT_REGION")) return *region;
  const auto config = read_ini(home_file(env, "AWS_CONFIG_FILE", "config"));
  if (auto region = key_of(config_profile(config, profile_name(env)), "region")) return *region;
  // https://sqs.<region>.amazonaws.com/<account>/<queue>
  constexpr std::string_view kPrefix = "https://sqs.";
  if (queue_url.substr(0, kPrefix.size()) == kPrefix) {
    const auto host =
        queue_url.substr(kPrefix.size(), queue_url.find('/', kPrefix.size()) - kPrefix.size());
    const auto dot = host.find('.');
    if (dot != std::string_view::npos && host.substr(dot) == ".amazonaws.com")
      return std::string(host.substr(0, dot));
  }
  return {};
}

std::string sqs_endpoint(const Lookup& env, std::string_view region) {
  if (auto url = env("AWS_ENDPOINT_URL_SQS")) return *url;
  if (auto url = env("AWS_ENDPOINT_URL")) return *url;
  return "https://sqs." + std::string(region) + ".amazonaws.com";
}

}  // namespace orderflow::aws
