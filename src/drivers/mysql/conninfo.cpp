#include "drivers/mysql/conninfo.hpp"

#include <boost/url/parse.hpp>

#include <charconv>
#include <stdexcept>

namespace orderflow::mysql {

bool is_mysql_url(std::string_view url) {
  return url.starts_with("mysql://") || url.starts_with("mariadb://");
}

namespace {

SslMode ssl_mode_of(std::string_view text) {
  std::string upper;
  for (char c : text) upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  if (upper == "DISABLED") return SslMode::disabled;
  if (upper == "PREFERRED") return SslMode::preferred;
  if (upper == "REQUIRED") return SslMode::required;
  if (upper == "VERIFY_CA") return SslMode::verify_ca;
  if (upper == "VERIFY_IDENTITY") return SslMode::verify_identity;
  throw std::invalid_argument(
      "ssl-mode must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY");
}

}  // namespace

ConnInfo parse_url(std::string_view url) {
  if (!is_mysql_url(url))
    throw std::invalid_argument("a MySQL URL starts with mysql:// or mariadb://");
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::invalid_argument("not a valid URL");
  const auto& u = *parsed;
  ConnInfo info;
  if (!u.encoded_host().empty()) info.host = u.host();
  if (u.has_port()) {
    const auto port = u.port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      throw std::invalid_argument("the port must be a number from 1 to 65535");
    info.port = static_cast<std::uint16_t>(value);
  }
  info.user = u.user();
  info.password = u.password();
  auto path = u.path();
  if (!path.empty() && path.front() == '/') path.erase(0, 1);
  if (path.empty() || path.find('/') != std::string::npos)
    throw std::invalid_argument("the URL must name one database: mysql://user@host/database");
  info.database = path;
  for (const auto param : u.params()) {
    if (param.key == "ssl-mode" || param.key == "sslmode")
      info.ssl_mode = ssl_mode_of(param.value);
    else if (param.key == "ssl-ca")
      info.ssl_ca = param.value;
    else
      throw std::invalid_argument("unknown URL parameter " + std::string(param.key) +
                                  " (known: ssl-mode, ssl-ca)");
  }
  return info;
}

std::string describe(const ConnInfo& info) {
  return info.host + ":" + std::to_string(info.port) + "/" + info.database;
}

}  // namespace orderflow::mysql
