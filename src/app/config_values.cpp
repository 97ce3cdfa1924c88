#include "app/config_values.hpp"

#include <fstream>
#include <sstream>

namespace orderflow::app {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t i = 0;
  double value = 0;
  bool digits = false, dot = false;
  double scale = 1;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits = true;
      if (dot) {
        scale /= 10;
        value += (c - '0') * scale;
      } else {
        value = value * 10 + (c - '0');
      }
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!digits) return std::nullopt;
  const auto unit = text.substr(i);
  double ms;
  if (unit.empty() || unit == "s")
    ms = value * 1000;
  else if (unit == "ms")
    ms = value;
  else if (unit == "m")
    ms = value * 60'000;
  else if (unit == "h")
    ms = value * 3'600'000;
  else if (unit == "d")
    ms = value * 86'400'000;
  else
    return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::string_view to_string(Role r) {
  switch (r) {
    case Role::api:
      return "api";
    case Role::worker:
      return "worker";
    default:
      return "all";
  }
}

std::optional<Role> parse_role(std::string_view s) {
  if (s == "all") return Role::all;
  if (s == "api") return Role::api;
  if (s == "worker") return Role::worker;
  return std::nullopt;
}

namespace config_values {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

std::string read_secret_file(const std::string& name, const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  auto value = content.str();
  value.erase(value.find_last_not_of(" \t\r\n") + 1);
  if (!in || value.empty())
    throw ConfigError(name + " names a file that cannot be read or is empty: " + path);
  return value;
}

std::chrono::milliseconds duration(const std::string& name, const std::string& v) {
  auto d = parse_duration(v);
  if (!d) throw ConfigError(name + " must be a duration such as 500ms, 30s, 5m; got '" + v + "'");
  return *d;
}

}  // namespace config_values

}  // namespace orderflow::app
