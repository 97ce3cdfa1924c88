#pragma once
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/catalog.hpp"
#include "core/ports/page.hpp"

namespace orderflow::ports {

struct ProductFilter {
  std::optional<std::string> category, q;
  std::optional<domain::Cents> min_price, max_price;
  bool in_stock = false;
  domain::ProductSort sort = domain::ProductSort::name;
  std::int64_t page = 1, limit = 50;
};

enum class WriteOutcome { ok, not_found, duplicate, unknown_category, negative, below_reserved };

struct ProductWrite {
  WriteOutcome outcome = WriteOutcome::ok;
  std::optional<domain::CatalogProduct> product;
};

// Categories, products and their inventory.
class Catalog {
 public:
  virtual ~Catalog() = default;
  virtual boost::asio::awaitable<std::vector<domain::Category>> list_categories() = 0;
  virtual boost::asio::awaitable<bool> create_category(domain::Category c) = 0;  // false: exists
  virtual boost::asio::awaitable<Page<domain::CatalogProduct>> list_products(ProductFilter f) = 0;
  // The products found, in the order asked for.
  virtual boost::asio::awaitable<std::vector<domain::CatalogProduct>> find_products(
      std::vector<std::string> ids) = 0;
  virtual boost::asio::awaitable<ProductWrite> create_product(domain::ProductFields f) = 0;
  virtual boost::asio::awaitable<ProductWrite> update_product(std::string id,
                                                              domain::ProductFields f) = 0;
  virtual boost::asio::awaitable<ProductWrite> change_inventory(std::string id,
                                                                domain::InventoryChange c) = 0;
  virtual boost::asio::awaitable<bool> delete_product(std::string id) = 0;
  // Loads the demo catalog when the catalog is empty; false when it was not.
  virtual boost::asio::awaitable<bool> load_demo_catalog(domain::DemoCatalog demo) = 0;
  // Whether lists may be read from replicas that lag behind the writes.
  virtual bool lists_may_lag() const { return false; }
  // Returns once the replicas have replayed this process's writes so far (gives up after a
  // while); at once when lists do not lag.
  virtual boost::asio::awaitable<void> replicas_caught_up() { co_return; }
};

}  // namespace orderflow::ports
