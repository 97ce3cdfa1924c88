#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>

#include "core/ports/store.hpp"
#include "service/order_service.hpp"

namespace orderflow::service {

// The session's cart and its checkout. Availability is checked here for a quick answer; the
// worker reserves atomically when the order is applied, which is what prevents overselling.
class CartService {
 public:
  CartService(store::Store& store, store::CartStore& carts, OrderService& orders)
      : store_(store), carts_(carts), orders_(orders) {}

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

 private:
  boost::asio::awaitable<boost::json::object> render(const std::string& session,
                                                     const store::StoredCart& cart);
  boost::asio::awaitable<domain::CatalogProduct> product_or_404(const std::string& id);

  store::Store& store_;
  store::CartStore& carts_;
  OrderService& orders_;
};

}  // namespace orderflow::service
