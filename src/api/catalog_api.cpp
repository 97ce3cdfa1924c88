#include "api/common.hpp"
#include "api/request_parsing.hpp"
#include "api/routes.hpp"
#include "core/domain/money.hpp"

namespace orderflow::api {

namespace asio = boost::asio;

namespace {

Response json_text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

asio::awaitable<Response> list_products(CatalogArea& ctx, Request& r) {
  co_return json_text(200, co_await ctx.catalog.products(product_filter(r)));
}

asio::awaitable<Response> get_product(CatalogArea& ctx, Request& r) {
  co_return json_text(200, co_await ctx.catalog.product(r.params.at("id")));
}

asio::awaitable<Response> category_products(CatalogArea& ctx, Request& r) {
  auto filter = product_filter(r);
  co_return json_text(200, co_await ctx.catalog.category_products(r.params.at("slug"), filter));
}

asio::awaitable<Response> list_categories(CatalogArea& ctx, Request&) {
  co_return json_text(200, co_await ctx.catalog.categories());
}

asio::awaitable<Response> create_category(CatalogArea& ctx, Request& r) {
  require_admin(r, ctx.admin_token);
  const auto body = parse_json_body(r);
  const auto created = co_await ctx.catalog.create_category(body);
  co_return json_response(201, created);
}

asio::awaitable<Response> create_product(CatalogArea& ctx, Request& r) {
  require_admin(r, ctx.admin_token);
  const auto body = parse_json_body(r);
  const auto created = co_await ctx.catalog.create_product(body);
  auto res = json_response(201, created);
  res.set("Location", "/api/products/" + std::string(created.at("product_id").as_string()));
  co_return res;
}

asio::awaitable<Response> update_product(CatalogArea& ctx, Request& r) {
  require_admin(r, ctx.admin_token);
  const auto body = parse_json_body(r);
  co_return json_response(200, co_await ctx.catalog.update_product(r.params.at("id"), body));
}

asio::awaitable<Response> change_inventory(CatalogArea& ctx, Request& r) {
  require_admin(r, ctx.admin_token);
  const auto body = parse_json_body(r);
  co_return json_response(200, co_await ctx.catalog.change_inventory(r.params.at("id"), body));
}

asio::awaitable<Response> delete_product(CatalogArea& ctx, Request& r) {
  require_admin(r, ctx.admin_token);
  co_await ctx.catalog.delete_product(r.params.at("id"));
  co_return empty_response(204);
}

}  // namespace

std::vector<Route> catalog_routes() {
  return area_routes(&ApiContext::catalog,
                     {
                         {"GET", "/api/products", list_products},
                         {"GET", "/api/products/categories", list_categories},
                         {"GET", "/api/products/category/{slug}", category_products},
                         {"GET", "/api/products/{id}", get_product},
                         {"POST", "/api/categories", create_category},
                         {"POST", "/api/products", create_product},
                         {"PUT", "/api/products/{id}", update_product},
                         {"PUT", "/api/products/{id}/inventory", change_inventory},
                         {"DELETE", "/api/products/{id}", delete_product},
                     });
}

}  // namespace orderflow::api
