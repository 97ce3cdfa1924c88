#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orderflow::http {

struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};

using HeaderMap = std::multimap<std::string, std::string, CaseInsensitiveLess>;

// A request as handlers see it: parsed target, headers, body. No Beast types.
struct Request {
  std::string method;
  std::string target;  // as sent
  std::string path;    // decoded path, no query
  std::map<std::string, std::string> query;
  HeaderMap headers;
  std::string body;
  std::string peer;  // the connection's remote address (an IPv4-mapped one as IPv4)
  bool peer_is_loopback = false;
  // Set by the pipeline: the client (the peer, or the X-Forwarded-For entry a trusted proxy
  // added), and whether that client is on this machine for sure (admin without ADMIN_TOKEN).
  std::string client;
  bool client_is_local = false;
  std::string request_id;
  std::map<std::string, std::string> params;  // path parameters from the route template

  std::optional<std::string_view> header(std::string_view name) const;
  std::optional<std::string_view> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  Response& set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

}  // namespace orderflow::http
