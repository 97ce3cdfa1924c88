#include "backends/sqlite/sqlite_catalog.hpp"

#include "backends/sql/rows.hpp"
#include "backends/sql/sql_text.hpp"
#include "backends/sqlite/sqlite_schema.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using sqlite::Connection;

namespace {

const SqlFiles& sql = sqlite_sql();

std::optional<domain::CatalogProduct> load_product(Connection& c, const std::string& id) {
  auto cur = c.query(sql["find_product"], id);
  if (!cur.next()) return std::nullopt;
  return product_from_row(cur);
}

bool category_exists(Connection& c, const std::string& slug) {
  return c.query(sql["category_exists"], slug).next();
}

class SqliteCatalog final : public ports::Catalog {
 public:
  explicit SqliteCatalog(sqlite::Database& db) : db_(db) {}

  asio::awaitable<std::vector<domain::Category>> list_categories() override {
    co_return co_await db_.read<std::vector<domain::Category>>([](Connection& c) {
      std::vector<domain::Category> out;
      auto cur = c.query(sql["categories_with_counts"]);
      while (cur.next())
        out.push_back({cur.text("slug"), cur.text("name"), cur.integer("product_count")});
      return out;
    });
  }

  asio::awaitable<bool> create_category(domain::Category cat) override {
    co_return co_await db_.write<bool>([&](Connection& c) {
      return c.exec(sql["insert_category_if_new"], cat.slug, cat.name, now_ms()) == 1;
    });
  }

  asio::awaitable<ports::Page<domain::CatalogProduct>> list_products(
      ports::ProductFilter f) override {
    co_return co_await db_.read<ports::Page<domain::CatalogProduct>>([&](Connection& c) {
      // As for orders: only the filters given enter the SQL; parameter numbers are fixed.
      std::string where;
      if (f.category) where += " AND p.category=?1";
      if (f.q)
        where += " AND (lower(p.name) LIKE ?2 ESCAPE '\\' OR lower(p.sku) LIKE ?2 ESCAPE '\\')";
      if (f.min_price) where += " AND p.price>=?3";
      if (f.max_price) where += " AND p.price<=?4";
      if (f.in_stock) where += " AND p.stock - p.reserved > 0";
      const std::optional<std::string> pattern =
          f.q ? std::optional<std::string>(like_pattern(*f.q)) : std::nullopt;
      ports::Page<domain::CatalogProduct> page;
      {
        auto cur =
            c.query(sql["count_products"] + where, f.category, pattern, f.min_price, f.max_price);
        cur.next();
        page.total = cur.integer(0);
      }
      auto cur =
          c.query(sql["list_products"] + where + " ORDER BY " +
                      product_order_by(f.sort, "p.name COLLATE NOCASE") + " LIMIT ?5 OFFSET ?6",
                  f.category, pattern, f.min_price, f.max_price, f.limit, (f.page - 1) * f.limit);
      while (cur.next()) page.data.push_back(product_from_row(cur));
      return page;
    });
  }

  asio::awaitable<std::vector<domain::CatalogProduct>> find_products(
      std::vector<std::string> ids) override {
    co_return co_await db_.read<std::vector<domain::CatalogProduct>>([&](Connection& c) {
      std::vector<domain::CatalogProduct> out;
      for (const auto& id : ids)
        if (auto p = load_product(c, id)) out.push_back(std::move(*p));
      return out;
    });
  }

  asio::awaitable<ports::ProductWrite> create_product(domain::ProductFields f) override {
    co_return co_await db_.write<ports::ProductWrite>([&](Connection& c) -> ports::ProductWrite {
      const auto id = f.product_id.value_or(uuid_v7());
      if (c.query(sql["product_id_or_sku_taken"], id, *f.sku).next())
        return {ports::WriteOutcome::duplicate, std::nullopt};
      if (!category_exists(c, *f.category))
        return {ports::WriteOutcome::unknown_category, std::nullopt};
      const auto now = now_ms();
      c.exec(sql["insert_product"], id, *f.sku, *f.name, f.description.value_or(""), *f.price,
             *f.category, *f.stock, now);
      return {ports::WriteOutcome::ok, load_product(c, id)};
    });
  }

  asio::awaitable<ports::ProductWrite> update_product(std::string id,
                                                      domain::ProductFields f) override {
    co_return co_await write_product(id, [&](Connection& c, const auto& p) -> ports::ProductWrite {
      if (f.sku && *f.sku != p.sku && c.query(sql["sku_taken"], *f.sku).next())
        return {ports::WriteOutcome::duplicate, std::nullopt};
      if (f.category && !category_exists(c, *f.category))
        return {ports::WriteOutcome::unknown_category, std::nullopt};
      if (f.stock && *f.stock < p.reserved)
        return {ports::WriteOutcome::below_reserved, std::nullopt};
      c.exec(sql["update_product"], id, f.sku.value_or(p.sku), f.name.value_or(p.name),
             f.description.value_or(p.description), f.price.value_or(p.price),
             f.category.value_or(p.category_slug), f.stock.value_or(p.stock), now_ms());
      return {ports::WriteOutcome::ok, load_product(c, id)};
    });
  }

  asio::awaitable<ports::ProductWrite> change_inventory(std::string id,
                                                        domain::InventoryChange change) override {
    co_return co_await write_product(id, [&](Connection& c, const auto& p) -> ports::ProductWrite {
      const auto [stock, verdict] = domain::apply_inventory_change(p.stock, p.reserved, change);
      if (verdict == domain::InventoryVerdict::negative) return {ports::WriteOutcome::negative, p};
      if (verdict == domain::InventoryVerdict::below_reserved)
        return {ports::WriteOutcome::below_reserved, p};
      c.exec(sql["set_product_stock"], id, stock, now_ms());
      return {ports::WriteOutcome::ok, load_product(c, id)};
    });
  }

  asio::awaitable<bool> delete_product(std::string id) override {
    co_return co_await db_.write<bool>(
        [&](Connection& c) { return c.exec(sql["delete_product"], id) > 0; });
  }

  asio::awaitable<bool> load_demo_catalog(domain::DemoCatalog demo) override {
    co_return co_await db_.write<bool>([&](Connection& c) {
      auto cur = c.query(sql["catalog_row_count"]);
      cur.next();
      if (cur.integer(0) > 0) return false;
      const auto now = now_ms();
      for (const auto& cat : demo.categories)
        c.exec(sql["insert_category"], cat.slug, cat.name, now);
      for (const auto& p : demo.products)
        c.exec(sql["insert_product"], p.product_id, p.sku, p.name, p.description, p.price,
               p.category_slug, p.stock, now);
      return true;
    });
  }

 private:
  // Runs `change` on the product in a write transaction: not_found when there is none.
  template <typename Change>
  asio::awaitable<ports::ProductWrite> write_product(std::string id, Change change) {
    co_return co_await db_.write<ports::ProductWrite>([&](Connection& c) -> ports::ProductWrite {
      const auto p = load_product(c, id);
      if (!p) return {ports::WriteOutcome::not_found, std::nullopt};
      return change(c, *p);
    });
  }

  sqlite::Database& db_;
};
}  // namespace

std::unique_ptr<ports::Catalog> make_sqlite_catalog(sqlite::Database& db) {
  return std::make_unique<SqliteCatalog>(db);
}

}  // namespace orderflow::backends
