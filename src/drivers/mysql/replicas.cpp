#include "drivers/mysql/replicas.hpp"

#include <charconv>

#include "drivers/mysql/conninfo.hpp"

namespace orderflow::mysql {

namespace {
// The decimal number `text` is, all digits; nullopt for anything else.
template <typename T>
std::optional<T> number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}
}  // namespace

std::optional<GtidReplication::Position> GtidReplication::parse(std::string_view text) {
  Position out;
  if (text.empty()) return out;
  for (std::size_t start = 0; start <= text.size();) {
    const auto comma = std::min(text.find(',', start), text.size());
    const auto gtid = text.substr(start, comma - start);
    start = comma + 1;
    const auto dash1 = gtid.find('-');
    const auto dash2 = dash1 == std::string_view::npos ? dash1 : gtid.find('-', dash1 + 1);
    if (dash2 == std::string_view::npos) return std::nullopt;
    const auto domain = number<std::uint32_t>(gtid.substr(0, dash1));
    const auto server = number<std::uint32_t>(gtid.substr(dash1 + 1, dash2 - dash1 - 1));
    const auto sequence = number<std::uint64_t>(gtid.substr(dash2 + 1));
    if (!domain || !server || !sequence || out.contains(*domain)) return std::nullopt;
    out[*domain] = {*server, *sequence};
  }
  return out;
}

void GtidReplication::raise(Position& floor, const Position& seen) {
  for (const auto& [domain, gtid] : seen) {
    auto [it, added] = floor.try_emplace(domain, gtid);
    if (!added && it->second.sequence < gtid.sequence) it->second = gtid;
  }
}

std::string GtidReplication::format(const Position& p) {
  std::string out;
  for (const auto& [domain, gtid] : p) {
    if (!out.empty()) out += ',';
    out += std::to_string(domain) + '-' + std::to_string(gtid.server) + '-' +
           std::to_string(gtid.sequence);
  }
  return out;
}

std::string GtidReplication::name_of(const std::string& url) {
  return describe(parse_url(url));
}

}  // namespace orderflow::mysql
