// The OpenAPI document built into the binary against the router: the same routes, and every path
// parameter declared. (tests/e2e/test_docs.py checks it with an OpenAPI validator and checks real
// responses against it.)
#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "api/routes.hpp"
#include "web/assets.hpp"

namespace json = boost::json;
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

}  // namespace

TEST(OpenApi, IsVersion31AndCarriesTheBinarysVersion) {
  const auto doc = document();
  EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
  EXPECT_EQ(doc.at("info").at("version").as_string(), ORDERFLOW_VERSION);
}

TEST(OpenApi, DescribesExactlyTheRoutesTheRouterServes) {
  std::set<std::string> routed, documented;
  for (const auto& route : served_routes(true)) routed.insert(route.method + " " + route.pattern);
  const auto doc = document();
  for (const auto& [path, item] : doc.at("paths").as_object())
    for (const auto& [method, operation] : item.as_object())
      if (kMethods.contains(std::string(method)))
        documented.insert(upper(std::string(method)) + " " + std::string(path));
  std::vector<std::string> undocumented, unrouted;
  std::set_difference(routed.begin(), routed.end(), documented.begin(), documented.end(),
                      std::back_inserter(undocumented));
  std::set_difference(documented.begin(), documented.end(), routed.begin(), routed.end(),
                      std::back_inserter(unrouted));
  EXPECT_TRUE(undocumented.empty())
      << "routes missing from the document: " << ::testing::PrintToString(undocumented);
  EXPECT_TRUE(unrouted.empty()) << "documented but not routed: "
                                << ::testing::PrintToString(unrouted);
  EXPECT_EQ(routed.size(), served_routes(true).size()) << "a route is registered twice";
}

TEST(OpenApi, AWorkerProcessServesOnlyDocumentedRoutes) {
  const auto all = served_routes(true);
  for (const auto& route : served_routes(false))
    EXPECT_TRUE(std::any_of(
        all.begin(), all.end(),
        [&](const auto& r) { return r.method == route.method && r.pattern == route.pattern; }))
        << route.method << " " << route.pattern;
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
