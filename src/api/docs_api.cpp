// The API's own documentation: the OpenAPI document and Swagger UI, both built into the binary.
#include "api/routes.hpp"
#include "http/problem.hpp"
#include "web/assets.hpp"

namespace orderflow::api {

namespace asio = boost::asio;
using http::Request;
using http::Response;

namespace {

constexpr std::string_view kSwaggerUiMissing =
    "Swagger UI was not built in: install it with 'npm ci' (scripts/setup does) and rebuild";

// Nothing on the page may come from elsewhere; Swagger UI styles some elements inline.
constexpr std::string_view kDocsPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

Response asset_response(std::string_view name, std::string_view body) {
  Response r;
  r.content_type = web::content_type_for(name);
  r.body = body;
  // The files change only with the binary: a revalidation per hour is plenty.
  r.set("Cache-Control", "public, max-age=3600");
  r.set("X-Content-Type-Options", "nosniff");
  return r;
}

asio::awaitable<Response> openapi_document(ApiContext&, Request&) {
  const auto body = web::find_asset("openapi.json");
  if (!body) throw http::not_found("the OpenAPI document was not built in");
  co_return asset_response("openapi.json", *body);
}

asio::awaitable<Response> docs_page(ApiContext&, Request&) {
  const auto body = web::find_asset("docs.html");
  if (!body) throw http::not_found(std::string(kSwaggerUiMissing));
  auto r = asset_response("docs.html", *body);
  r.set("Content-Security-Policy", std::string(kDocsPolicy));
  co_return r;
}

asio::awaitable<Response> docs_asset(ApiContext&, Request& r) {
  const auto name = "docs/" + r.params.at("asset");
  const auto body = web::find_asset(name);
  if (!body) throw http::not_found("no documentation file '" + r.params.at("asset") + "'");
  co_return asset_response(name, *body);
}

}  // namespace

std::vector<Route> docs_routes() {
  return {
      {"GET", "/openapi.json", openapi_document},
      {"GET", "/docs", docs_page},
      {"GET", "/docs/{asset}", docs_asset},
  };
}

}  // namespace orderflow::api
