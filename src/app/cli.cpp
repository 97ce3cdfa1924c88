#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>
#include <optional>

#include "api/views.hpp"
#include "app/app.hpp"
#include "app/serve.hpp"
#include "app/wiring.hpp"
#include "base/log.hpp"

namespace orderflow::app {

namespace json = boost::json;

int run(int argc, char** argv) {
  CLI::App cli{"orderflow: event-driven order processing backend", "orderflow"};
  cli.footer(
      "Configuration comes from the environment (DATABASE_URL, REDIS_URL, QUEUE_BACKEND, …: the "
      "README's table); flags override it. Each subcommand has its own --help.");
  cli.require_subcommand(0, 1);

  std::optional<std::string> role, host, data_dir, log_level;
  std::optional<std::uint16_t> port;
  bool no_demo_data = false;
  const auto add_serve_flags = [&](CLI::App* app) {
    app->add_option("--role", role, "all (API and worker), api, or worker; default all");
    app->add_option("--host", host, "address to listen on (HOST; default 127.0.0.1)");
    app->add_option("--port", port, "port to listen on (PORT; default 3000)");
    app->add_option("--data-dir", data_dir,
                    "directory of the embedded database (DATA_DIR; default ./data)");
    app->add_option("--log-level", log_level, "debug, info, warn, error or off (LOG_LEVEL)");
    app->add_flag("--no-demo-data", no_demo_data,
                  "do not load the demo catalog into an empty database (DEMO_DATA=false)");
  };
  add_serve_flags(&cli);
  auto* serve_cmd = cli.add_subcommand("serve", "run the service (the default)");
  add_serve_flags(serve_cmd);
  auto* migrate_cmd =
      cli.add_subcommand("migrate", "create or upgrade the database schema, then exit");
  migrate_cmd->add_option("--data-dir", data_dir, "directory of the embedded database");
  auto* version_cmd = cli.add_subcommand("version", "print the version");
  auto* demo_cmd = cli.add_subcommand("demo-data", "load the demo catalog into an empty catalog");
  demo_cmd->add_option("--data-dir", data_dir, "directory of the embedded database");
  auto* queue_cmd = cli.add_subcommand("queue", "inspect or operate the queue");
  queue_cmd->add_option("--data-dir", data_dir, "directory of the embedded database");
  queue_cmd->require_subcommand(1);
  auto* q_stats = queue_cmd->add_subcommand("stats", "print queue statistics as JSON");
  auto* q_purge = queue_cmd->add_subcommand("purge", "delete every message of the main queue");
  std::size_t dlq_limit = 100;
  auto* q_dlq = queue_cmd->add_subcommand("dlq", "list dead letters as JSON");
  q_dlq->add_option("--limit", dlq_limit, "at most this many (default 100)");
  std::vector<std::string> redrive_ids;
  auto* q_redrive = queue_cmd->add_subcommand("redrive", "move dead letters back to the queue");
  q_redrive->add_option("message_ids", redrive_ids, "ids to move (default: all)");
  for (auto* sub : {q_stats, q_purge, q_dlq, q_redrive}) sub->fallthrough();

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  try {
    if (version_cmd->parsed()) {
      std::cout << "orderflow " << ORDERFLOW_VERSION << "\n";
      return 0;
    }
    Config cfg = load_config(process_env());
    if (role) {
      auto r = parse_role(*role);
      if (!r) throw ConfigError("--role must be all, api or worker");
      cfg.role = *r;
    }
    if (host) cfg.host = *host;
    if (port) cfg.port = *port;
    if (data_dir) cfg.data_dir = *data_dir;
    if (log_level) cfg.log_level = *log_level;
    if (no_demo_data) cfg.demo_data = false;

    boost::asio::io_context io;
    const auto redis = redis_client(cfg, io);
    const auto queue_redis = queue_redis_client(cfg, io);
    if (migrate_cmd->parsed()) {
      const auto b = open_backends(cfg, io, queue_redis.get());
      std::cout << "database ready: " << b->describe() << "\n";
      return 0;
    }
    if (demo_cmd->parsed()) {
      const auto b = open_backends(cfg, io, queue_redis.get());
      // Through the catalog service, so that a shared cache forgets the empty catalog.
      const auto cache = make_cache(cfg, redis.get());
      service::CatalogService catalog(*b->ports().catalog, *cache, cache_ttls(cfg), cfg.currency);
      const bool loaded = run_on(io, catalog.load_demo_catalog(domain::demo_catalog()));
      std::cout << (loaded ? "demo catalog loaded\n"
                           : "the catalog is not empty: nothing loaded\n");
      return 0;
    }
    if (queue_cmd->parsed()) {
      const auto b = open_backends(cfg, io, queue_redis.get());
      json::value out;
      if (q_stats->parsed()) out = api::queue_stats_json(run_on(io, b->ports().queue->stats()));
      if (q_purge->parsed()) out = json::object{{"purged", run_on(io, b->ports().queue->purge())}};
      if (q_redrive->parsed())
        out = json::object{{"redriven", run_on(io, b->ports().queue->redrive(redrive_ids))}};
      if (q_dlq->parsed()) {
        json::array a;
        for (const auto& d : run_on(io, b->ports().queue->dead_letters(dlq_limit)))
          a.push_back(api::dead_letter_json(d));
        out = json::object{{"messages", std::move(a)}};
      }
      std::cout << json::serialize(out) << "\n";
      return 0;
    }
    return serve(std::move(cfg));
  } catch (const ConfigError& e) {
    std::cerr << "configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    log::error("fatal", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace orderflow::app
