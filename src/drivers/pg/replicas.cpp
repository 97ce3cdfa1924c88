#include "drivers/pg/replicas.hpp"

#include <cstdio>

#include "drivers/pg/conninfo.hpp"

namespace orderflow::pg {

std::optional<std::uint64_t> parse_lsn(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size())
    return std::nullopt;
  const auto hex = [](std::string_view part) -> std::optional<std::uint64_t> {
    if (part.size() > 8) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : part) {
      int d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else
        return std::nullopt;
      v = v * 16 + static_cast<std::uint64_t>(d);
    }
    return v;
  };
  const auto high = hex(text.substr(0, slash)), low = hex(text.substr(slash + 1));
  if (!high || !low) return std::nullopt;
  return (*high << 32) | *low;
}

std::string format_lsn(std::uint64_t lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xffffffffu));
  return buf;
}

std::string WalReplication::name_of(const std::string& url) {
  return without_credentials(url);
}

}  // namespace orderflow::pg
