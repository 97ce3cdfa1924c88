#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "core/ports/carts.hpp"
#include "core/ports/catalog.hpp"
#include "service/order_service.hpp"

namespace orderflow::service {

// The session's cart and its checkout. Availability is checked here for a quick answer; the
// worker reserves atomically when the order is applied, which is what prevents overselling.
class CartService {
 public:
  CartService(ports::Catalog& catalog, ports::Carts& carts, OrderService& orders)
      : catalog_(catalog), carts_(carts), orders_(orders) {}

  boost::asio::awaitable<boost::json::object> view(std::string session);
  boost::asio::awaitable<boost::json::object> add(std::string session,
                                                  const boost::json::value& body);
  boost::asio::awaitable<boost::json::object> update(std::string session,
                                                     const boost::json::value& body);
  boost::asio::awaitable<boost::json::object> remove(std::string session, std::string product_id);
  boost::asio::awaitable<boost::json::object> clear(std::string session);
  boost::asio::awaitable<AcceptedOrder> checkout(std::string session,
                                                 const boost::json::value& body,
                                                 std::optional<std::string> idempotency_key);
  // Removes expired carts every `every`, for carts that do not expire by themselves; runs
  // until its executor stops.
  boost::asio::awaitable<void> remove_expired_every(std::chrono::milliseconds every);

 private:
  boost::asio::awaitable<boost::json::object> render(const std::string& session,
                                                     const ports::StoredCart& cart);
  boost::asio::awaitable<domain::CatalogProduct> product_or_404(const std::string& id);

  ports::Catalog& catalog_;
  ports::Carts& carts_;
  OrderService& orders_;
};

}  // namespace orderflow::service
