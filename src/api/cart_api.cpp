#include "api/common.hpp"
#include "api/request_parsing.hpp"
#include "api/routes.hpp"
#include "base/ids.hpp"

namespace orderflow::api {

namespace asio = boost::asio;

namespace {

Response with_session(Response res, const Session& s) {
  if (s.fresh) {
    res.set("X-Session-ID", s.id);
    res.set("Set-Cookie", "session_id=" + s.id + "; Path=/; HttpOnly; SameSite=Lax");
  }
  return res;
}

// Runs a cart operation on the caller's session and answers with the cart it returns.
template <typename Operation>
asio::awaitable<Response> answer_with_cart(Request& r, Operation operation) {
  const auto s = session_of(r);
  auto cart = co_await operation(s.id);
  co_return with_session(json_response(200, std::move(cart)), s);
}

asio::awaitable<Response> get_cart(CartArea& ctx, Request& r) {
  co_return co_await answer_with_cart(r, [&](const std::string& s) { return ctx.carts.view(s); });
}

asio::awaitable<Response> add_to_cart(CartArea& ctx, Request& r) {
  const auto body = parse_json_body(r);
  co_return co_await answer_with_cart(r,
                                      [&](const std::string& s) { return ctx.carts.add(s, body); });
}

asio::awaitable<Response> update_cart(CartArea& ctx, Request& r) {
  const auto body = parse_json_body(r);
  co_return co_await answer_with_cart(
      r, [&](const std::string& s) { return ctx.carts.update(s, body); });
}

asio::awaitable<Response> remove_from_cart(CartArea& ctx, Request& r) {
  co_return co_await answer_with_cart(
      r, [&](const std::string& s) { return ctx.carts.remove(s, r.params.at("productId")); });
}

asio::awaitable<Response> clear_cart(CartArea& ctx, Request& r) {
  co_return co_await answer_with_cart(r, [&](const std::string& s) { return ctx.carts.clear(s); });
}

asio::awaitable<Response> checkout(CartArea& ctx, Request& r) {
  const auto s = session_of(r);
  const auto body = parse_json_body(r);
  const auto accepted = co_await ctx.carts.checkout(s.id, body, idempotency_key(r));
  co_return with_session(accepted_response(accepted), s);
}

asio::awaitable<Response> my_orders(CartArea& ctx, Request& r) {
  const auto s = session_of(r);
  co_return with_session(co_await list_orders_for(ctx.order_reads, r, s.id), s);
}

}  // namespace

std::vector<Route> cart_routes() {
  return area_routes(&ApiContext::cart,
                     {
                         {"GET", "/api/cart", get_cart},
                         {"POST", "/api/cart/add", add_to_cart},
                         {"PUT", "/api/cart/update", update_cart},
                         {"DELETE", "/api/cart/remove/{productId}", remove_from_cart},
                         {"DELETE", "/api/cart/clear", clear_cart},
                         {"POST", "/api/orders/checkout", checkout},
                         {"GET", "/api/orders/my-orders", my_orders},
                     });
}

}  // namespace orderflow::api
