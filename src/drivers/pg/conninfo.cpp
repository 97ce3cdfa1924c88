#include "drivers/pg/conninfo.hpp"

#include <libpq-fe.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "drivers/pg/connection.hpp"

namespace orderflow::pg {

namespace asio = boost::asio;

namespace {

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> items;
  for (std::size_t start = 0; start <= list.size();) {
    auto end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    items.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

std::string without_credentials(std::string_view conninfo) {
  if (const auto scheme = conninfo.find("://"); scheme != std::string_view::npos) {
    // Query parameters may hold a password too.
    const auto rest = conninfo.substr(scheme + 3, conninfo.find('?') - scheme - 3);
    const auto at = rest.rfind('@');
    return std::string(at == std::string_view::npos ? rest : rest.substr(at + 1));
  }
  std::string out;
  std::size_t i = 0;
  while (i < conninfo.size()) {
    auto end = conninfo.find(' ', i);
    if (end == std::string_view::npos) end = conninfo.size();
    const auto item = conninfo.substr(i, end - i);
    if (!item.empty() && !item.starts_with("password=")) {
      if (!out.empty()) out += ' ';
      out += item;
    }
    i = end + 1;
  }
  return out;
}

// A connection string as libpq's keyword and value lists.
std::string* ConnectParams::value_of(std::string_view keyword) {
  for (std::size_t i = 0; i < keywords.size(); ++i)
    if (keywords[i] == keyword) return &values[i];
  return nullptr;
}

ConnectParams parse_conninfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (!options) {
    const std::string why = error ? error : "out of memory";
    PQfreemem(error);
    throw ConnectionError("invalid connection string: " + why);
  }
  ConnectParams p;
  for (const auto* o = options; o->keyword; ++o) {
    if (!o->val) continue;
    p.keywords.emplace_back(o->keyword);
    p.values.emplace_back(o->val);
  }
  PQconninfoFree(options);
  return p;
}

asio::awaitable<ConnectParams> with_host_addresses(asio::any_io_executor executor,
                                                   ConnectParams p) {
  auto* host_list = p.value_of("host");
  if (!host_list || host_list->empty() || p.value_of("hostaddr")) co_return p;
  const auto hosts = split_list(*host_list);
  auto* port_list = p.value_of("port");
  const auto ports = port_list ? split_list(*port_list) : std::vector<std::string>{};
  std::vector<std::string> names, addresses, entry_ports;
  std::string failure;
  asio::ip::tcp::resolver resolver(executor);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const auto& name = hosts[i];
    if (name.empty() || name.front() == '/' || name.front() == '@') co_return p;
    std::vector<std::string> found;
    boost::system::error_code not_an_address;
    asio::ip::make_address(name, not_an_address);
    if (!not_an_address) {
      found.push_back(name);
    } else {
      auto [ec, results] =
          co_await resolver.async_resolve(name, "5432", asio::as_tuple(asio::use_awaitable));
      // As libpq does, a host that does not resolve is skipped for the next one.
      if (ec || results.empty())
        failure = "cannot resolve " + name + ": " + (ec ? ec.message() : "no address");
      for (const auto& entry : results) found.push_back(entry.endpoint().address().to_string());
    }
    for (const auto& address : found) {
      names.push_back(name);
      addresses.push_back(address);
      if (ports.size() > 1) entry_ports.push_back(i < ports.size() ? ports[i] : ports.back());
    }
  }
  if (addresses.empty()) throw ConnectionError(failure);
  *host_list = join_list(names);
  if (!entry_ports.empty()) *port_list = join_list(entry_ports);
  p.keywords.emplace_back("hostaddr");
  p.values.push_back(join_list(addresses));
  co_return p;
}

}  // namespace orderflow::pg
