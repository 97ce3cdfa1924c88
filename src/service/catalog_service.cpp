#include "service/catalog_service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

#include "base/ids.hpp"
#include "base/log.hpp"
#include "core/errors.hpp"
#include "service/cache_aside.hpp"

namespace orderflow::service {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {
constexpr const char* kGenerationKey = "catalog:gen";

// One key per distinct query: every parameter, in a fixed order.
std::string listing_key(const std::string& generation, const ports::ProductFilter& f) {
  return "products:" + generation + ":c=" + f.category.value_or("") + "&q=" + f.q.value_or("") +
         "&min=" + (f.min_price ? std::to_string(*f.min_price) : "") +
         "&max=" + (f.max_price ? std::to_string(*f.max_price) : "") +
         "&in_stock=" + (f.in_stock ? "1" : "0") +
         "&sort=" + std::string(domain::to_string(f.sort)) + "&page=" + std::to_string(f.page) +
         "&limit=" + std::to_string(f.limit);
}

std::string product_key(const std::string& id) {
  return "product:" + id;
}
}  // namespace

// Listings and categories are keyed under a generation that any product change replaces, so
// one invalidation retires every cached listing at once.
asio::awaitable<std::string> CatalogService::generation() {
  auto hit = co_await cache_.get(kGenerationKey, std::nullopt);
  if (hit.value) co_return *hit.value;
  auto fresh = uuid_v7();
  co_await cache_.put(kGenerationKey, fresh, 24h, hit.stamp);
  co_return fresh;
}

asio::awaitable<std::string> CatalogService::product(std::string id) {
  if (!is_valid_client_id(id)) throw core::not_found("product '" + id + "' does not exist");
  co_return co_await cache::get_or_load(
      cache_, product_key(id), ttls_.product, false, [&]() -> asio::awaitable<std::string> {
        std::vector<std::string> ids{id};
        auto found = co_await catalog_.find_products(std::move(ids));
        if (found.empty()) throw core::not_found("product '" + id + "' does not exist");
        co_return json::serialize(domain::product_json(found.front(), currency_));
      });
}

asio::awaitable<std::string> CatalogService::products(ports::ProductFilter f) {
  const auto gen = co_await generation();
  co_return co_await cache::get_or_load(
      cache_, listing_key(gen, f), ttls_.listing, false, [&]() -> asio::awaitable<std::string> {
        auto page = co_await catalog_.list_products(f);
        json::array data;
        for (const auto& p : page.data) data.push_back(domain::product_json(p, currency_));
        co_return json::serialize(json::object{{"data", std::move(data)},
                                               {"page", f.page},
                                               {"limit", f.limit},
                                               {"total", page.total},
                                               {"has_more", f.page * f.limit < page.total}});
      });
}

asio::awaitable<std::string> CatalogService::categories() {
  const auto gen = co_await generation();
  co_return co_await cache::get_or_load(
      cache_, "categories:" + gen, ttls_.categories, false, [&]() -> asio::awaitable<std::string> {
        json::array data;
        const auto categories = co_await catalog_.list_categories();
        for (const auto& c : categories) data.push_back(domain::category_json(c));
        co_return json::serialize(json::object{{"data", std::move(data)}});
      });
}

asio::awaitable<std::string> CatalogService::category_products(std::string slug,
                                                               ports::ProductFilter f) {
  const auto all = json::parse(co_await categories()).as_object();
  const auto& data = all.at("data").as_array();
  const bool known = std::any_of(data.begin(), data.end(), [&](const json::value& c) {
    return c.as_object().at("slug").as_string() == slug;
  });
  if (!known) throw core::not_found("category '" + slug + "' does not exist");
  f.category = std::move(slug);
  co_return co_await products(std::move(f));
}

namespace {
// A parse with errors is refused as a whole, naming each field; a valid one is returned.
template <typename Parsed>
Parsed valid(Parsed parsed, const std::string& what) {
  if (!parsed.errors.empty())
    throw core::validation_failed(what + " is not valid", std::move(parsed.errors));
  return parsed;
}
}  // namespace

asio::awaitable<json::object> CatalogService::written(ports::ProductWrite w, std::string id) {
  auto out = checked(w, id);
  const std::vector<std::string> changed{w.product->product_id};
  co_await invalidate_products(changed);
  co_return out;
}

json::object CatalogService::checked(const ports::ProductWrite& w, const std::string& id) {
  switch (w.outcome) {
    case ports::WriteOutcome::ok:
      return domain::product_json(*w.product, currency_);
    case ports::WriteOutcome::not_found:
      throw core::not_found("product '" + id + "' does not exist");
    case ports::WriteOutcome::duplicate:
      throw core::conflict("a product with this product_id or sku already exists");
    case ports::WriteOutcome::unknown_category:
      throw core::validation_failed("unknown category", {{"category", "no such category"}});
    case ports::WriteOutcome::negative:
      throw core::validation_failed("stock cannot go below zero", {{"stock", "would be negative"}});
    case ports::WriteOutcome::below_reserved:
      throw core::conflict("stock cannot go below what is reserved (" +
                           std::to_string(w.product ? w.product->reserved : 0) + ")");
  }
  throw std::logic_error("unhandled write outcome");
}

asio::awaitable<json::object> CatalogService::create_category(const json::value& body) {
  const auto category = valid(domain::parse_new_category(body), "the category").category;
  if (!co_await catalog_.create_category(category))
    throw core::conflict("category '" + category.slug + "' already exists");
  co_await invalidate_products(std::vector<std::string>());
  co_return domain::category_json(category);
}

asio::awaitable<json::object> CatalogService::create_product(const json::value& body) {
  const auto fields = valid(domain::parse_new_product(body), "the product").fields;
  auto w = co_await catalog_.create_product(fields);
  co_return co_await written(std::move(w), fields.product_id.value_or(""));
}

asio::awaitable<json::object> CatalogService::update_product(std::string id,
                                                             const json::value& body) {
  const auto fields = valid(domain::parse_product_patch(body), "the product").fields;
  auto w = co_await catalog_.update_product(id, fields);
  co_return co_await written(std::move(w), id);
}

asio::awaitable<json::object> CatalogService::change_inventory(std::string id,
                                                               const json::value& body) {
  const auto change = valid(domain::parse_inventory_change(body), "the inventory change").change;
  auto w = co_await catalog_.change_inventory(id, change);
  co_return co_await written(std::move(w), id);
}

asio::awaitable<void> CatalogService::delete_product(std::string id) {
  if (!co_await catalog_.delete_product(id))
    throw core::not_found("product '" + id + "' does not exist");
  const std::vector<std::string> changed{id};
  co_await invalidate_products(changed);
}

asio::awaitable<bool> CatalogService::load_demo_catalog(domain::DemoCatalog demo) {
  std::vector<std::string> ids;
  for (const auto& p : demo.products) ids.push_back(p.product_id);
  const bool loaded = co_await catalog_.load_demo_catalog(std::move(demo));
  if (loaded) co_await invalidate_products(ids);
  co_return loaded;
}

asio::awaitable<void> CatalogService::invalidate_products(const std::vector<std::string>& ids) {
  std::vector<std::string> keys{kGenerationKey};
  for (const auto& id : ids) keys.push_back(product_key(id));
  co_await cache_.invalidate(std::move(keys));
  // Lists read from replicas: another process sharing the cache may refill a listing from a
  // replica that has not replayed this change yet. Retire the listings again once they have.
  if (catalog_.lists_may_lag()) {
    const auto executor = co_await asio::this_coro::executor;
    ++retirements_pending_;
    asio::co_spawn(executor, retire_listings_after_replicas(), asio::detached);
  }
}

asio::awaitable<void> CatalogService::retire_listings_after_replicas() {
  try {
    co_await catalog_.replicas_caught_up();
    std::vector<std::string> keys{kGenerationKey};
    co_await cache_.invalidate(std::move(keys));
  } catch (const std::exception& e) {
    log::warn("listings not retired after the replicas caught up", {{"error", e.what()}});
  }
  --retirements_pending_;
}

}  // namespace orderflow::service
