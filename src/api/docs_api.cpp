// The API's own documentation: the OpenAPI document and Swagger UI, both built into the binary.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <set>

#include "api/assets.hpp"
#include "api/routes.hpp"
#include "http/problem.hpp"

namespace orderflow::api {

namespace asio = boost::asio;
namespace json = boost::json;

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
  return r;
}

asio::awaitable<Response> openapi_document(DocsArea& ctx, Request&) {
  if (ctx.openapi.empty()) throw core::not_found("the OpenAPI document was not built in");
  co_return asset_response("openapi.json", ctx.openapi);
}

asio::awaitable<Response> docs_page(DocsArea&, Request&) {
  const auto body = web::find_asset("docs.html");
  if (!body) throw core::not_found(std::string(kSwaggerUiMissing));
  auto r = asset_response("docs.html", *body);
  r.set("Content-Security-Policy", std::string(kDocsPolicy));
  co_return r;
}

asio::awaitable<Response> docs_asset(DocsArea&, Request& r) {
  const auto name = "docs/" + r.params.at("asset");
  const auto body = web::find_asset(name);
  if (!body) throw core::not_found("no documentation file '" + r.params.at("asset") + "'");
  co_return asset_response(name, *body);
}

}  // namespace

std::string openapi_document_for(const std::vector<Route>& routes) {
  const auto text = web::find_asset("openapi.json");
  if (!text) return {};
  auto document = json::parse(*text).as_object();
  std::set<std::pair<std::string, std::string>> served;  // (method in lower case, pattern)
  for (const auto& route : routes) {
    std::string method;
    for (char c : route.method)
      method += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    served.emplace(std::move(method), route.pattern);
  }
  static const std::set<std::string_view> kOperations{"get",     "put",  "post", "delete",
                                                      "options", "head", "patch"};
  auto& paths = document.at("paths").as_object();
  for (auto path = paths.begin(); path != paths.end();) {
    auto& item = path->value().as_object();
    for (auto field = item.begin(); field != item.end();) {
      const bool unserved = kOperations.contains(field->key()) &&
                            !served.contains({std::string(field->key()), std::string(path->key())});
      field = unserved ? item.erase(field) : std::next(field);
    }
    const bool any_left = std::any_of(item.begin(), item.end(),
                                      [](const auto& f) { return kOperations.contains(f.key()); });
    path = any_left ? std::next(path) : paths.erase(path);
  }
  // Tags no operation left carries go too, or the page would list empty sections.
  std::set<std::string> used;
  for (const auto& path : paths)
    for (const auto& field : path.value().as_object())
      if (const auto* operation = field.value().if_object())
        if (const auto* tags = operation->if_contains("tags"))
          for (const auto& tag : tags->as_array()) used.emplace(tag.as_string());
  if (auto* tags = document.if_contains("tags")) {
    auto& list = tags->as_array();
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const json::value& t) {
                                return !used.contains(std::string(t.at("name").as_string()));
                              }),
               list.end());
  }
  return json::serialize(document);
}

std::vector<Route> docs_routes() {
  return area_routes(&ApiContext::docs, {
                                            {"GET", "/openapi.json", openapi_document},
                                            {"GET", "/docs", docs_page},
                                            {"GET", "/docs/{asset}", docs_asset},
                                        });
}

}  // namespace orderflow::api
