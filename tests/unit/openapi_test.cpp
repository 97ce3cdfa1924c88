// The OpenAPI document built into the binary against the router: the same routes, and every path
// parameter declared. (tests/e2e/test_docs.py checks it with an OpenAPI validator and checks real
// responses against it.)
#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "api/assets.hpp"
#include "api/routes.hpp"

namespace json = boost::json;
using orderflow::api::openapi_document_for;
using orderflow::api::served_routes;

namespace {

json::object document() {
  const auto text = orderflow::web::find_asset("openapi.json");
  if (!text) throw std::runtime_error("openapi.json is not built in");
  return json::parse(*text).as_object();
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

const std::set<std::string> kMethods{"get", "put", "post", "delete", "options", "head", "patch"};

// "GET /api/orders/{id}", … of a document, and of a route table.
std::set<std::string> operations_of(const json::object& doc) {
  std::set<std::string> out;
  for (const auto& [path, item] : doc.at("paths").as_object())
    for (const auto& [method, operation] : item.as_object())
      if (kMethods.contains(std::string(method)))
        out.insert(upper(std::string(method)) + " " + std::string(path));
  return out;
}
std::set<std::string> operations_of(const std::vector<orderflow::api::Route>& routes) {
  std::set<std::string> out;
  for (const auto& route : routes) out.insert(route.method + " " + route.pattern);
  return out;
}

}  // namespace

TEST(OpenApi, IsVersion31AndCarriesTheBinarysVersion) {
  const auto doc = document();
  EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
  EXPECT_EQ(doc.at("info").at("version").as_string(), ORDERFLOW_VERSION);
}

TEST(OpenApi, DescribesExactlyTheRoutesTheRouterServes) {
  const auto routes = served_routes(true);
  const auto routed = operations_of(routes);
  const auto documented = operations_of(document());
  std::vector<std::string> undocumented, unrouted;
  std::set_difference(routed.begin(), routed.end(), documented.begin(), documented.end(),
                      std::back_inserter(undocumented));
  std::set_difference(documented.begin(), documented.end(), routed.begin(), routed.end(),
                      std::back_inserter(unrouted));
  EXPECT_TRUE(undocumented.empty())
      << "routes missing from the document: " << ::testing::PrintToString(undocumented);
  EXPECT_TRUE(unrouted.empty()) << "documented but not routed: "
                                << ::testing::PrintToString(unrouted);
  EXPECT_EQ(routed.size(), routes.size()) << "a route is registered twice";
}

TEST(OpenApi, AProcessServingEveryRouteServesTheWholeDocument) {
  EXPECT_EQ(json::parse(openapi_document_for(served_routes(true))), json::value(document()));
}

TEST(OpenApi, AWorkerProcessDescribesOnlyTheRoutesItServes) {
  const auto worker_routes = served_routes(false);
  ASSERT_LT(worker_routes.size(), served_routes(true).size());
  const auto served = json::parse(openapi_document_for(worker_routes)).as_object();
  EXPECT_EQ(operations_of(served), operations_of(worker_routes));
  EXPECT_FALSE(served.at("paths").as_object().contains("/api/orders"));
  EXPECT_TRUE(served.at("paths").as_object().contains("/sqs/stats"));
  EXPECT_EQ(served.at("components"), document().at("components"));
  std::set<std::string> tags;
  for (const auto& tag : served.at("tags").as_array()) tags.emplace(tag.at("name").as_string());
  EXPECT_EQ(tags, (std::set<std::string>{"Queue", "Cache", "Operations", "Documentation"}));
}

TEST(OpenApi, EveryPathParameterIsDeclaredOnItsOperations) {
  const auto doc = document();
  const auto& shared = doc.at("components").at("parameters").as_object();
  const std::regex placeholder(R"(\{([^}]+)\})");
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    const std::string p(path);
    std::set<std::string> wanted;
    for (std::sregex_iterator it(p.begin(), p.end(), placeholder), end; it != end; ++it)
      wanted.insert((*it)[1]);
    for (const auto& [method, operation] : item.as_object()) {
      std::set<std::string> declared;
      if (const auto* params = operation.as_object().if_contains("parameters"))
        for (const auto& param : params->as_array()) {
          const json::object* o = &param.as_object();
          if (const auto* ref = o->if_contains("$ref")) {
            const std::string name(ref->as_string());
            o = &shared.at(name.substr(name.rfind('/') + 1)).as_object();
          }
          if (o->at("in").as_string() == "path")
            declared.insert(std::string(o->at("name").as_string()));
        }
      EXPECT_EQ(declared, wanted) << method << " " << p;
    }
  }
}
