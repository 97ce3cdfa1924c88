#include "service/cart_service.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "base/log.hpp"
#include "core/domain/cart.hpp"
#include "core/errors.hpp"

namespace orderflow::service {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
std::int64_t quantity_in(const ports::StoredCart& cart, const std::string& product_id) {
  for (const auto& l : cart.lines)
    if (l.product_id == product_id) return l.quantity;
  return 0;
}

void require_quantity(std::int64_t wanted, const domain::CatalogProduct& p) {
  switch (domain::check_cart_quantity(wanted, p.stock - p.reserved)) {
    case domain::CartCheck::exceeds_line_limit:
      throw core::validation_failed("at most 1000 units of a product per cart",
                                    {{"quantity", "the line would exceed 1000 units"}});
    case domain::CartCheck::exceeds_available:
      throw core::conflict("only " + std::to_string(p.stock - p.reserved) + " of '" + p.product_id +
                           "' available, " + std::to_string(wanted) + " wanted");
    case domain::CartCheck::ok:
      return;
  }
}

domain::CartItemRequest parsed_item(const json::value& body, bool allow_zero) {
  auto parsed = domain::parse_cart_item(body, allow_zero);
  if (!parsed.errors.empty())
    throw core::validation_failed("the cart item is not valid", std::move(parsed.errors));
  return parsed.item;
}
}  // namespace

asio::awaitable<domain::CatalogProduct> CartService::product_or_404(const std::string& id) {
  std::vector<std::string> ids{id};
  auto found = co_await catalog_.find_products(std::move(ids));
  if (found.empty()) throw core::not_found("product '" + id + "' does not exist");
  co_return std::move(found.front());
}

asio::awaitable<json::object> CartService::render(const std::string& session,
                                                  const ports::StoredCart& cart) {
  std::vector<std::string> ids;
  std::vector<domain::CartLineView> lines;
  for (const auto& l : cart.lines) {
    ids.push_back(l.product_id);
    lines.push_back({l.product_id, l.quantity});
  }
  const auto products = co_await catalog_.find_products(std::move(ids));
  const auto updated =
      cart.updated_at ? std::optional<std::int64_t>(cart.updated_at) : std::nullopt;
  co_return domain::cart_json(session, lines, products, updated);
}

asio::awaitable<json::object> CartService::view(std::string session) {
  const auto cart = co_await carts_.get(session);
  co_return co_await render(session, cart);
}

asio::awaitable<json::object> CartService::add(std::string session, const json::value& body) {
  const auto item = parsed_item(body, false);
  const auto product = co_await product_or_404(item.product_id);
  const auto cart = co_await carts_.get(session);
  const auto wanted = quantity_in(cart, item.product_id) + item.quantity;
  require_quantity(wanted, product);
  const auto after = co_await carts_.set_quantity(session, item.product_id, wanted);
  co_return co_await render(session, after);
}

asio::awaitable<json::object> CartService::update(std::string session, const json::value& body) {
  const auto item = parsed_item(body, true);
  const auto cart = co_await carts_.get(session);
  if (quantity_in(cart, item.product_id) == 0)
    throw core::not_found("product '" + item.product_id + "' is not in the cart");
  if (item.quantity > 0) require_quantity(item.quantity, co_await product_or_404(item.product_id));
  const auto after = co_await carts_.set_quantity(session, item.product_id, item.quantity);
  co_return co_await render(session, after);
}

asio::awaitable<json::object> CartService::remove(std::string session, std::string product_id) {
  const auto cart = co_await carts_.get(session);
  if (quantity_in(cart, product_id) == 0)
    throw core::not_found("product '" + product_id + "' is not in the cart");
  const auto after = co_await carts_.set_quantity(session, product_id, 0);
  co_return co_await render(session, after);
}

asio::awaitable<json::object> CartService::clear(std::string session) {
  co_await carts_.clear(session);
  co_return co_await render(session, ports::StoredCart{});
}

asio::awaitable<AcceptedOrder> CartService::checkout(std::string session, const json::value& body,
                                                     std::optional<std::string> idempotency_key) {
  if (!body.is_null() && !body.is_object())
    throw core::validation_failed("body must be a JSON object", {{"", "must be an object"}});
  if (idempotency_key) {
    auto replayed = co_await orders_.replay_checkout(*idempotency_key, session);
    if (replayed) co_return *replayed;
  }
  const auto cart = co_await carts_.get(session);
  if (cart.lines.empty())
    throw core::validation_failed("the cart is empty", {{"cart", "add items before checking out"}});
  std::vector<std::string> ids;
  for (const auto& l : cart.lines) ids.push_back(l.product_id);
  const auto products = co_await catalog_.find_products(std::move(ids));
  json::array items;
  for (const auto& l : cart.lines) {
    const auto p = std::find_if(products.begin(), products.end(),
                                [&](const auto& x) { return x.product_id == l.product_id; });
    if (p == products.end())
      throw core::conflict("product '" + l.product_id + "' in the cart no longer exists");
    if (l.quantity > p->stock - p->reserved)
      throw core::conflict("only " + std::to_string(p->stock - p->reserved) + " of '" +
                           l.product_id + "' available, the cart has " +
                           std::to_string(l.quantity));
    items.push_back(json::object{{"product_id", l.product_id}, {"quantity", l.quantity}});
  }
  // The order is the cart's lines plus the optional customer fields of the body.
  json::object order{{"items", std::move(items)}};
  if (body.is_object())
    for (const auto* key : {"customer_id", "customer_name", "customer_email", "payment_method",
                            "shipping_address", "currency"})
      if (const auto* v = body.get_object().if_contains(key)) order[key] = *v;
  co_return co_await orders_.accept(json::value(std::move(order)), std::move(idempotency_key),
                                    std::move(session));
}

asio::awaitable<void> CartService::remove_expired_every(std::chrono::milliseconds every) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(every);
    co_await timer.async_wait(asio::use_awaitable);
    try {
      if (const auto n = co_await carts_.remove_expired(); n > 0)
        log::info("expired carts removed", {{"count", n}});
    } catch (const std::exception& e) {
      log::warn("cart clean-up failed", {{"error", e.what()}});
    }
  }
}

}  // namespace orderflow::service
