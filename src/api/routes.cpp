#include "api/routes.hpp"

namespace orderflow::api {

std::vector<Route> served_routes(bool serves_shop) {
  std::vector<Route> routes;
  const auto append = [&routes](std::vector<Route> more) {
    routes.insert(routes.end(), more.begin(), more.end());
  };
  if (serves_shop) {
    append(order_routes());
    append(catalog_routes());
    append(cart_routes());
  }
  append(operations_routes());
  append(metrics_routes());
  append(docs_routes());
  return routes;
}

void add_routes(http::Router& router, ApiContext& ctx, const std::vector<Route>& routes) {
  for (const auto& route : routes)
    router.add(route.method, route.pattern,
               [&ctx, endpoint = route.endpoint](http::Request& r) { return endpoint(ctx, r); });
}

}  // namespace orderflow::api
