#pragma once
#include "backends/postgres/pg_database.hpp"
#include "core/ports/catalog.hpp"

namespace orderflow::backends {

class PgCatalog final : public ports::Catalog {
 public:
  explicit PgCatalog(PgDatabase& db) : db_(db) {}

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
  bool lists_may_lag() const override { return db_.lists_may_lag(); }
  boost::asio::awaitable<void> replicas_caught_up() override { return db_.replicas_caught_up(); }

 private:
  PgDatabase& db_;
};

}  // namespace orderflow::backends
