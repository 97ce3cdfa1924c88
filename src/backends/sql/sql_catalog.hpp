#pragma once
// The catalog on an SQL server, written once for PostgreSQL and MySQL: `Db` is the backend's
// database (primary(), read(), wrote(), write_transaction(), lists_may_lag(),
// replicas_caught_up(); Db::Pool and Db::Lease), `Dialect` how its statements take values
// (backends/postgres/pg_dialect.hpp, backends/mysql/mysql_dialect.hpp), and the SQL is the
// backend's own catalog.sql (Dialect::sql()). Writes go to the primary; lists to a replica when
// there is one.
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/sql/rows.hpp"
#include "backends/sql/sql_files.hpp"
#include "backends/sql/sql_list_query.hpp"
#include "backends/sql/sql_text.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"
#include "core/ports/catalog.hpp"

namespace orderflow::backends {

template <class Db, class Dialect>
class SqlCatalog final : public ports::Catalog {
 public:
  explicit SqlCatalog(Db& db) : db_(db) {}

  boost::asio::awaitable<std::vector<domain::Category>> list_categories() override {
    std::vector<Statement> s;
    s.push_back({sql_["categories_with_counts"], {}});
    const auto r = co_await db_.read(std::move(s));
    std::vector<domain::Category> out;
    for (const auto row : r.at(0).each_row())
      out.push_back({row.text("slug"), row.text("name"), row.integer("product_count")});
    co_return out;
  }

  boost::asio::awaitable<bool> create_category(domain::Category c) override {
    Params params{c.slug, c.name, Dialect::value(now_ms())};
    const auto r = co_await db_.primary().query(sql_["insert_category_if_new"], std::move(params));
    co_await db_.wrote();
    co_return r.affected == 1;
  }

  boost::asio::awaitable<ports::Page<domain::CatalogProduct>> list_products(
      ports::ProductFilter f) override {
    SqlListQuery<Statement, Dialect> q;
    q.add("p.category = ?", f.category);
    q.add("(lower(p.name) LIKE ? OR lower(p.sku) LIKE ?)",
          f.q ? std::optional<std::string>(like_pattern(*f.q)) : std::nullopt);
    q.add("p.price >= ?", f.min_price);
    q.add("p.price <= ?", f.max_price);
    if (f.in_stock) q.add("p.stock - p.reserved > 0");
    auto s = q.count_and_page(sql_["count_products"], sql_["list_products"],
                              product_order_by(f.sort, "lower(p.name)"), f.limit,
                              (f.page - 1) * f.limit);
    const auto r = co_await db_.read(std::move(s));
    co_return SqlListQuery<Statement, Dialect>::template page_of<domain::CatalogProduct>(
        r, [](const auto& row) { return product_from_row(row); });
  }

  boost::asio::awaitable<std::vector<domain::CatalogProduct>> find_products(
      std::vector<std::string> ids) override {
    // One id (a product page) by equality: its generic plan is an index lookup, so PostgreSQL
    // reuses it. With "= ANY(array)" the generic plan guesses ten rows and costs more than a
    // custom one, so every execution was planned again (measured: half the rate, a long tail).
    std::vector<Statement> s;
    if (ids.size() == 1)
      s.push_back({sql_["find_product"], {ids.front()}});
    else
      s.push_back(Dialect::with_ids(sql_["find_products"], ids));
    const auto results = co_await db_.primary().execute(std::move(s));
    const auto& r = results.at(0);
    // In the order asked for, like the embedded store.
    std::vector<domain::CatalogProduct> out;
    for (const auto& id : ids)
      for (const auto row : r.each_row())
        if (row.text("product_id") == id) out.push_back(product_from_row(row));
    co_return out;
  }

  boost::asio::awaitable<ports::ProductWrite> create_product(domain::ProductFields f) override {
    const auto id = f.product_id.value_or(uuid_v7());
    std::vector<Statement> s;
    s.push_back({sql_["insert_product"],
                 {id, *f.sku, *f.name, f.description.value_or(""), Dialect::value(*f.price),
                  *f.category, Dialect::value(*f.stock), Dialect::value(now_ms())}});
    s.push_back({sql_["find_product"], {id}});
    try {
      const auto r = co_await db_.primary().execute(std::move(s));
      co_await db_.wrote();
      co_return ports::ProductWrite{ports::WriteOutcome::ok, product_from_row(r.at(1).row(0))};
    } catch (const typename Dialect::QueryError& e) {
      if (Dialect::duplicate(e))
        co_return ports::ProductWrite{ports::WriteOutcome::duplicate, std::nullopt};
      if (Dialect::missing_reference(e))
        co_return ports::ProductWrite{ports::WriteOutcome::unknown_category, std::nullopt};
      throw;
    }
  }

  boost::asio::awaitable<ports::ProductWrite> update_product(std::string id,
                                                             domain::ProductFields f) override {
    co_return co_await db_.template write_transaction<ports::ProductWrite>(
        [&](Lease& tx) -> boost::asio::awaitable<ports::ProductWrite> {
          std::vector<Statement> checks;
          if (f.sku) checks.push_back({sql_["sku_taken_by_other"], {*f.sku, id}});
          if (f.category) checks.push_back({sql_["category_exists"], {*f.category}});
          const auto locked = co_await lock_product(tx, id, std::move(checks));
          if (!locked) co_return ports::ProductWrite{ports::WriteOutcome::not_found, std::nullopt};
          const auto& p = locked->product;
          const bool sku_taken = f.sku && !locked->checks.at(0).rows.empty();
          const bool category_missing = f.category && locked->checks.at(f.sku ? 1 : 0).rows.empty();
          if (sku_taken)
            co_return ports::ProductWrite{ports::WriteOutcome::duplicate, std::nullopt};
          if (category_missing)
            co_return ports::ProductWrite{ports::WriteOutcome::unknown_category, std::nullopt};
          if (f.stock && *f.stock < p.reserved)
            co_return ports::ProductWrite{ports::WriteOutcome::below_reserved, std::nullopt};
          Statement update{
              sql_["update_product"],
              {id, f.sku.value_or(p.sku), f.name.value_or(p.name),
               f.description.value_or(p.description), Dialect::value(f.price.value_or(p.price)),
               f.category.value_or(p.category_slug), Dialect::value(f.stock.value_or(p.stock)),
               Dialect::value(now_ms())}};
          co_return co_await updated(tx, std::move(update), id);
        });
  }

  boost::asio::awaitable<ports::ProductWrite> change_inventory(
      std::string id, domain::InventoryChange change) override {
    co_return co_await db_.template write_transaction<ports::ProductWrite>(
        [&](Lease& tx) -> boost::asio::awaitable<ports::ProductWrite> {
          const auto locked = co_await lock_product(tx, id);
          if (!locked) co_return ports::ProductWrite{ports::WriteOutcome::not_found, std::nullopt};
          const auto& p = locked->product;
          const auto [stock, verdict] = domain::apply_inventory_change(p.stock, p.reserved, change);
          if (verdict == domain::InventoryVerdict::negative)
            co_return ports::ProductWrite{ports::WriteOutcome::negative, p};
          if (verdict == domain::InventoryVerdict::below_reserved)
            co_return ports::ProductWrite{ports::WriteOutcome::below_reserved, p};
          Statement update{sql_["set_product_stock"],
                           {id, Dialect::value(stock), Dialect::value(now_ms())}};
          co_return co_await updated(tx, std::move(update), id);
        });
  }

  boost::asio::awaitable<bool> delete_product(std::string id) override {
    Params params{id};
    const auto r = co_await db_.primary().query(sql_["delete_product"], std::move(params));
    co_await db_.wrote();
    co_return r.affected > 0;
  }

  boost::asio::awaitable<bool> load_demo_catalog(domain::DemoCatalog demo) override {
    co_return co_await db_.template write_transaction<bool>(
        [&](Lease& tx) -> boost::asio::awaitable<bool> {
          // Several processes may start at once: one loads, the others find it done.
          std::vector<Statement> check;
          check.push_back(Connection::control(sql_["lock_demo_seed"]));
          check.push_back(Connection::control(sql_["catalog_row_count"]));
          const auto r = co_await tx.execute(std::move(check));
          if (r.at(1).row(0).integer("n") > 0) co_return false;
          const auto now = Dialect::value(now_ms());
          std::vector<Statement> inserts;
          for (const auto& c : demo.categories)
            inserts.push_back({sql_["insert_category"], {c.slug, c.name, now}});
          for (const auto& p : demo.products)
            inserts.push_back({sql_["insert_product"],
                               {p.product_id, p.sku, p.name, p.description, Dialect::value(p.price),
                                p.category_slug, Dialect::value(p.stock), now}});
          co_await tx.execute(std::move(inserts));
          co_return true;
        });
  }

  bool lists_may_lag() const override { return db_.lists_may_lag(); }
  boost::asio::awaitable<void> replicas_caught_up() override { return db_.replicas_caught_up(); }

 private:
  using Lease = typename Db::Lease;
  using Statement = typename Dialect::Statement;
  using Params = typename Db::Pool::Params;
  using Connection = typename Db::Pool::ConnectionType;

  struct LockedProduct {
    domain::CatalogProduct product;
    std::vector<sqlclient::Result> checks;  // the results of the checks, in their order
  };

  // Locks a product's row for the rest of the transaction and reads it, with `checks` in the
  // same round trip; nullopt when there is no such product.
  boost::asio::awaitable<std::optional<LockedProduct>> lock_product(
      Lease& tx, std::string id, std::vector<Statement> checks = {}) {
    std::vector<Statement> s;
    s.push_back({sql_["lock_product"], {id}});
    for (auto& check : checks) s.push_back(std::move(check));
    auto r = co_await tx.execute(std::move(s));
    if (r.at(0).rows.empty()) co_return std::nullopt;
    LockedProduct locked{product_from_row(r.at(0).row(0)), {}};
    locked.checks.assign(std::make_move_iterator(r.begin() + 1), std::make_move_iterator(r.end()));
    co_return locked;
  }

  // Runs a product's update and answers with the product as it is then.
  boost::asio::awaitable<ports::ProductWrite> updated(Lease& tx, Statement update, std::string id) {
    std::vector<Statement> s;
    s.push_back(std::move(update));
    s.push_back({sql_["find_product"], {id}});
    const auto r = co_await tx.execute(std::move(s));
    co_return ports::ProductWrite{ports::WriteOutcome::ok, product_from_row(r.at(1).row(0))};
  }

  Db& db_;
  const SqlFiles& sql_ = Dialect::sql();
};

template <class Dialect, class Db>
std::unique_ptr<ports::Catalog> make_sql_catalog(Db& db) {
  return std::make_unique<SqlCatalog<Db, Dialect>>(db);
}

}  // namespace orderflow::backends
