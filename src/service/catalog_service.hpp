#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "core/ports/cache.hpp"
#include "core/ports/catalog.hpp"

namespace orderflow::service {

struct CacheTtls {
  std::chrono::milliseconds product{3'600'000}, listing{1'800'000}, categories{3'600'000},
      order{3'600'000};
};

// Catalog reads (cache-aside) and admin writes (which invalidate what they change before they
// return). Reads return JSON text ready to send, the same whether it came from the cache or not.
class CatalogService {
 public:
  CatalogService(ports::Catalog& catalog, cache::Cache& cache, CacheTtls ttls, std::string currency)
      : catalog_(catalog), cache_(cache), ttls_(ttls), currency_(std::move(currency)) {}

  boost::asio::awaitable<std::string> product(std::string id);
  boost::asio::awaitable<std::string> products(ports::ProductFilter filter);
  // The list of one category; 404 when the category does not exist.
  boost::asio::awaitable<std::string> category_products(std::string slug,
                                                        ports::ProductFilter filter);
  boost::asio::awaitable<std::string> categories();

  boost::asio::awaitable<boost::json::object> create_category(const boost::json::value& body);
  boost::asio::awaitable<boost::json::object> create_product(const boost::json::value& body);
  boost::asio::awaitable<boost::json::object> update_product(std::string id,
                                                             const boost::json::value& body);
  boost::asio::awaitable<boost::json::object> change_inventory(std::string id,
                                                               const boost::json::value& body);
  boost::asio::awaitable<void> delete_product(std::string id);

  // Loads the demo catalog into an empty catalog (false when it was not empty). What a shared
  // cache held about the empty catalog, perhaps cached by another process, is invalidated.
  boost::asio::awaitable<bool> load_demo_catalog(domain::DemoCatalog demo);
  // After any change to products (admin or worker): their own keys and every listing.
  boost::asio::awaitable<void> invalidate_products(const std::vector<std::string>& ids);

  const std::string& currency() const { return currency_; }
  // Listing retirements still waiting for the replicas (they run in the background).
  int retirements_pending() const { return retirements_pending_; }

 private:
  boost::asio::awaitable<std::string> generation();
  boost::asio::awaitable<void> retire_listings_after_replicas();
  // A write's answer (or the error its outcome means), after the product's cache entries go.
  boost::asio::awaitable<boost::json::object> written(ports::ProductWrite w, std::string id);
  boost::json::object checked(const ports::ProductWrite& w, const std::string& id);

  ports::Catalog& catalog_;
  cache::Cache& cache_;
  CacheTtls ttls_;
  std::string currency_;
  std::atomic<int> retirements_pending_{0};
};

}  // namespace orderflow::service
