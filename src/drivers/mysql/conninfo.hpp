#pragma once
// MySQL and MariaDB connection URLs: mysql://user:password@host:3306/database?ssl-mode=REQUIRED
// (also mariadb://), as the usual Node/MySQL deployments write them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orderflow::mysql {

// TLS as MySQL's clients name it (--ssl-mode). PREFERRED is the connector's default: TLS when
// the server offers it is not guaranteed, so it is the same as DISABLED here; REQUIRED refuses
// a server without TLS; VERIFY_CA also checks the server's certificate against `ssl_ca` (or the
// system's CAs), VERIFY_IDENTITY its host name too.
enum class SslMode { disabled, preferred, required, verify_ca, verify_identity };

struct ConnInfo {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3306;
  std::string user, password, database;
  SslMode ssl_mode = SslMode::preferred;
  std::optional<std::string> ssl_ca;  // ssl-ca: a PEM file of CAs
};

bool is_mysql_url(std::string_view url);  // mysql:// or mariadb://

// Throws std::invalid_argument naming what is wrong (never the password).
ConnInfo parse_url(std::string_view url);

// "host:port/database", for logs.
std::string describe(const ConnInfo& info);

}  // namespace orderflow::mysql
