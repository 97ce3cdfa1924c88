#pragma once
// Connection strings: what logs may show, and what libpq gets to connect without blocking.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace orderflow::pg {

// A connection string fit for logs: "postgresql://user:secret@host/db" → "host/db", and a
// key=value string without its password.
std::string without_credentials(std::string_view conninfo);

// A connection string as libpq's keyword and value lists.
struct ConnectParams {
  std::vector<std::string> keywords, values;
  std::string* value_of(std::string_view keyword);
};

// Throws ConnectionError for a string libpq cannot parse.
ConnectParams parse_conninfo(const std::string& conninfo);

// libpq looks host names up inside PQconnectPoll, blocking the thread that polls (an I/O
// thread): the names are looked up here instead, by Asio's resolver on a thread of its own, and
// libpq gets the addresses as `hostaddr`, one host entry per address, tried in order as libpq
// would (the names stay, for TLS and authentication). A host list with a Unix socket in it is
// left to libpq, which needs no lookup for that.
boost::asio::awaitable<ConnectParams> with_host_addresses(boost::asio::any_io_executor executor,
                                                          ConnectParams p);

}  // namespace orderflow::pg
