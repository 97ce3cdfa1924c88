#pragma once
#include "core/ports/catalog.hpp"
#include "drivers/sqlite/database.hpp"

namespace orderflow::backends {

class SqliteCatalog final : public ports::Catalog {
 public:
  explicit SqliteCatalog(sqlite::Database& db) : db_(db) {}

  boost::asio::awaitable<std::vector<domain::Category>> list_categories() override;
  boost::asio::awaitable<bool> create_category(domain::Category c) override;
  boost::asio::awaitable<ports::Page<domain::CatalogProduct>> list_products(
      ports::ProductFilter f) override;
  boost::asio::awaitable<std::vector<domain::CatalogProduct>> find_products(
      std::vector<std::string> ids) override;
  boost::asio::awaitable<ports::ProductWrite> create_product(domain::ProductFields f) override;
  boost::asio::awaitable<ports::ProductWrite> update_product(std::string id,
                                                             domain::ProductFields f) override;
  boost::asio::awaitable<ports::ProductWrite> change_inventory(std::string id,
                                                               domain::InventoryChange c) override;
  boost::asio::awaitable<bool> delete_product(std::string id) override;
  boost::asio::awaitable<bool> load_demo_catalog(domain::DemoCatalog demo) override;

 private:
  sqlite::Database& db_;
};

}  // namespace orderflow::backends
