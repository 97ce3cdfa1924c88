#pragma once
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace orderflow::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// Routes by method and path template ("/api/orders/{id}/events"). Literal segments win over
// parameters, so "/api/orders/my-orders" is not taken for an order id.
class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method
    std::string pattern;
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;  // methods the path does take (for 405)
  };
  // handler set: found. handler null with `allowed` empty: 404; else 405.
  Match match(std::string_view method, std::string_view path) const;

  struct Route {
    std::string method, pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace orderflow::http
