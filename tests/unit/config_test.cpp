#include "app/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "base/time.hpp"

using namespace orderflow;
using namespace std::chrono_literals;

using app::fixed_env;

TEST(Config, Defaults) {
  const auto c = app::load_config(fixed_env({}));
  EXPECT_EQ(c.port, 3000);
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.queue.visibility_timeout, 30s);
  EXPECT_EQ(c.queue.max_retries, 3);
  EXPECT_EQ(c.queue.retry_delays, (std::vector<std::chrono::milliseconds>{1s, 5s, 15s}));
  EXPECT_EQ(c.queue.dedup_window, 5min);
  EXPECT_EQ(c.tax_rate.millionths, 80'000);
  EXPECT_EQ(c.currency, "USD");
}

TEST(Config, ReadsTheEnvironment) {
  const auto c = app::load_config(fixed_env({{"PORT", "8080"},
                                             {"RETRY_DELAYS", "100ms, 2s,1m"},
                                             {"TAX_RATE", "0.2"},
                                             {"CORS_ORIGINS", "https://a.example, *"},
                                             {"VISIBILITY_TIMEOUT", "45"}}));
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.queue.retry_delays, (std::vector<std::chrono::milliseconds>{100ms, 2s, 1min}));
  EXPECT_EQ(c.tax_rate.millionths, 200'000);
  EXPECT_EQ(c.cors_origins, (std::vector<std::string>{"https://a.example", "*"}));
  EXPECT_EQ(c.queue.visibility_timeout, 45s);
}

TEST(Config, RejectsBadValuesNamingTheVariable) {
  for (auto [k, v] : std::map<std::string, std::string>{{"PORT", "70000"},
                                                        {"PORT", "abc"},
                                                        {"TAX_RATE", "1.5"},
                                                        {"CURRENCY", "usd"},
                                                        {"RETRY_DELAYS", "1x"},
                                                        {"PAYMENT_FAILURE_RATE", "2"},
                                                        {"DATABASE_URL_FILE", "/nonexistent"},
                                                        {"DB_POOL_SIZE", "0"}}) {
    try {
      app::load_config(fixed_env({{k, v}}));
      ADD_FAILURE() << k << "=" << v << " was accepted";
    } catch (const app::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(k), std::string::npos) << e.what();
    }
  }
}

TEST(Config, SecretsFromFiles) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto write = [&](const char* name, const char* content) {
    std::ofstream(dir / name) << content;
    return (dir / name).string();
  };
  const auto c = app::load_config(fixed_env(
      {{"DATABASE_URL_FILE", write("orderflow-test-url", "postgresql://app@db:5432/shop\n")},
       {"DATABASE_REPLICA_URLS_FILE",
        write("orderflow-test-replicas", "postgresql://r1/shop, postgresql://r2/shop\n")},
       {"ADMIN_TOKEN_FILE", write("orderflow-test-token", "s3cret\n")}}));
  EXPECT_EQ(c.database_url, "postgresql://app@db:5432/shop");
  EXPECT_EQ(c.database_replica_urls,
            (std::vector<std::string>{"postgresql://r1/shop", "postgresql://r2/shop"}));
  EXPECT_EQ(c.admin_token, "s3cret");
  // A secret set both ways is ambiguous.
  EXPECT_THROW(
      app::load_config(fixed_env(
          {{"ADMIN_TOKEN", "a"}, {"ADMIN_TOKEN_FILE", (dir / "orderflow-test-token").string()}})),
      app::ConfigError);
  for (const auto* f : {"orderflow-test-url", "orderflow-test-replicas", "orderflow-test-token"})
    std::filesystem::remove(dir / f);
}

TEST(Time, Rfc3339RoundTrip) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
  const auto t = parse_rfc3339("2026-11-22T10:00:00.123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2026-11-22T10:00:00.123Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(253402300800000), "10000-01-01T00:00:00.000Z");
  EXPECT_EQ(parse_rfc3339("2026-11-22T12:00:00+02:00"), parse_rfc3339("2026-11-22T10:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-22"));
  EXPECT_FALSE(parse_rfc3339("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-22T10:00:00"));
}

TEST(Config, RedisFromAUrlOrTheSeedsVariables) {
  auto c = app::load_config(fixed_env({{"REDIS_URL", "redis://:s3cret@10.0.0.5:6380/2"}}));
  ASSERT_TRUE(c.redis);
  EXPECT_EQ(c.redis->host, "10.0.0.5");
  EXPECT_EQ(c.redis->port, 6380);
  EXPECT_EQ(c.redis->password, "s3cret");
  EXPECT_FALSE(c.redis->username);
  EXPECT_EQ(c.redis->db, 2);
  EXPECT_EQ(app::cache_backend_of(c), "redis");  // the default once Redis is configured

  c = app::load_config(fixed_env({{"REDIS_HOST", "cache"},
                                  {"REDIS_PORT", "6390"},
                                  {"REDIS_PASSWORD", "pw"},
                                  {"REDIS_DB", "3"},
                                  {"REDIS_KEY_PREFIX", "shop1:"},
                                  {"CACHE_BACKEND", "memory"}}));
  ASSERT_TRUE(c.redis);
  EXPECT_EQ(c.redis->host, "cache");
  EXPECT_EQ(c.redis->port, 6390);
  EXPECT_EQ(c.redis->password, "pw");
  EXPECT_EQ(c.redis->db, 3);
  EXPECT_EQ(c.redis_key_prefix, "shop1:");
  EXPECT_EQ(app::cache_backend_of(c), "memory");

  EXPECT_FALSE(app::load_config(fixed_env({})).redis);
  c = app::load_config(fixed_env({}));
  EXPECT_EQ(app::cache_backend_of(c), "memory");
  // An API or worker process of its own: the other role's writes would not reach its memory.
  c.role = app::Role::api;
  EXPECT_EQ(app::cache_backend_of(c), "off");
  c.role = app::Role::worker;
  EXPECT_EQ(app::cache_backend_of(c), "off");
  c.cache_backend = "memory";  // chosen: kept
  EXPECT_EQ(app::cache_backend_of(c), "memory");
  EXPECT_THROW(app::load_config(fixed_env({{"CACHE_BACKEND", "redis"}})), app::ConfigError);
  EXPECT_THROW(app::load_config(fixed_env({{"REDIS_URL", "http://x"}})), app::ConfigError);
  EXPECT_THROW(app::load_config(fixed_env({{"REDIS_URL", "redis://h/x"}})), app::ConfigError);
}

TEST(Config, RedisQueueNeedsRedisAndPostgres) {
  EXPECT_FALSE(app::load_config(fixed_env({})).redis_queue);
  const auto c = app::load_config(fixed_env({{"QUEUE_BACKEND", "redis"},
                                             {"REDIS_URL", "redis://r:6379"},
                                             {"DATABASE_URL", "postgresql://db/shop"}}));
  EXPECT_TRUE(c.redis_queue);
  EXPECT_FALSE(app::load_config(fixed_env({{"QUEUE_BACKEND", "database"}})).redis_queue);
  EXPECT_THROW(app::load_config(fixed_env(
                   {{"QUEUE_BACKEND", "redis"}, {"DATABASE_URL", "postgresql://db/shop"}})),
               app::ConfigError);
  EXPECT_THROW(
      app::load_config(fixed_env({{"QUEUE_BACKEND", "redis"}, {"REDIS_URL", "redis://r"}})),
      app::ConfigError);
  EXPECT_THROW(app::load_config(fixed_env({{"QUEUE_BACKEND", "kafka"}})), app::ConfigError);
}

TEST(Config, TheQueueMayHaveARedisOfItsOwn) {
  auto c = app::load_config(fixed_env({{"QUEUE_BACKEND", "redis"},
                                       {"REDIS_URL", "redis://cache:6379"},
                                       {"QUEUE_REDIS_URL", "redis://queue:6380/1"},
                                       {"DATABASE_URL", "postgresql://db/shop"}}));
  EXPECT_EQ(c.redis->host, "cache");
  EXPECT_EQ(c.queue_redis_options().host, "queue");
  EXPECT_EQ(c.queue_redis_options().db, 1);
  c = app::load_config(fixed_env({{"QUEUE_BACKEND", "redis"},
                                  {"QUEUE_REDIS_URL", "redis://queue:6380"},
                                  {"DATABASE_URL", "postgresql://db/shop"}}));
  EXPECT_FALSE(c.redis) << "the cache and carts stay out of Redis";
  EXPECT_EQ(app::cache_backend_of(c), "memory");
  EXPECT_EQ(c.queue_redis_options().port, 6380);
  c = app::load_config(fixed_env({{"QUEUE_BACKEND", "redis"},
                                  {"REDIS_URL", "redis://shared:6379"},
                                  {"DATABASE_URL", "postgresql://db/shop"}}));
  EXPECT_EQ(c.queue_redis_options().host, "shared");
  EXPECT_THROW(app::load_config(fixed_env({{"QUEUE_REDIS_URL", "http://x"}})), app::ConfigError);
}

TEST(Config, SqsQueueTheAwsWay) {
  const std::string url = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo";
  const auto dir = std::filesystem::temp_directory_path();
  std::ofstream(dir / "orderflow-test-aws-secret") << "s3cret\n";
  const std::map<std::string, std::string> base{{"QUEUE_BACKEND", "sqs"},
                                                {"DATABASE_URL", "postgresql://db/shop"},
                                                {"SQS_QUEUE_URL", url},
                                                {"AWS_ACCESS_KEY_ID", "AKID"},
                                                {"HOME", "/nonexistent"}};
  auto env = base;
  env["AWS_SECRET_ACCESS_KEY_FILE"] = (dir / "orderflow-test-aws-secret").string();
  auto c = app::load_config(fixed_env(env));
  ASSERT_TRUE(c.sqs);
  EXPECT_EQ(c.sqs->queue_url, url);
  EXPECT_EQ(c.sqs->client.region, "eu-west-1") << "from the queue URL";
  EXPECT_EQ(c.sqs->client.endpoint, "https://sqs.eu-west-1.amazonaws.com");
  EXPECT_EQ(c.sqs->client.credentials.access_key_id, "AKID");
  EXPECT_EQ(c.sqs->client.credentials.secret_access_key, "s3cret");
  EXPECT_EQ(c.worker_concurrency, 8) << "receivers take ten messages each";
  env["AWS_REGION"] = "us-east-2";
  env["AWS_ENDPOINT_URL_SQS"] = "http://127.0.0.1:9324";
  env["WORKER_CONCURRENCY"] = "3";
  c = app::load_config(fixed_env(env));
  EXPECT_EQ(c.sqs->client.region, "us-east-2");
  EXPECT_EQ(c.sqs->client.endpoint, "http://127.0.0.1:9324");
  EXPECT_EQ(c.worker_concurrency, 3);

  const auto refused = [&](std::map<std::string, std::string> changes) {
    auto e = base;
    e["AWS_SECRET_ACCESS_KEY"] = "s3cret";
    for (const auto& [k, v] : changes) {
      if (v.empty())
        e.erase(k);
      else
        e[k] = v;
    }
    EXPECT_THROW(app::load_config(fixed_env(e)), app::ConfigError) << changes.begin()->first;
  };
  refused({{"DATABASE_URL", ""}});
  refused({{"SQS_QUEUE_URL", ""}});
  refused({{"SQS_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"}});
  refused({{"AWS_ACCESS_KEY_ID", ""}});  // and no shared credentials file
  refused({{"AWS_SECRET_ACCESS_KEY_FILE", "/nonexistent/secret"}});                // both set
  refused({{"SQS_QUEUE_URL", "http://127.0.0.1:9324/000000000000/orders.fifo"}});  // no region
}

TEST(Config, MysqlFromTheUsualNodeVariables) {
  const auto dir = std::filesystem::temp_directory_path();
  std::ofstream(dir / "orderflow-test-db-password") << "p@ss word:/\n";
  const auto c = app::load_config(
      fixed_env({{"DB_HOST", "db.internal"},
                 {"DB_PORT", "3307"},
                 {"DB_USER", "shop"},
                 {"DB_PASSWORD_FILE", (dir / "orderflow-test-db-password").string()},
                 {"DB_NAME", "orders"}}));
  ASSERT_TRUE(c.mysql());
  EXPECT_EQ(c.database_url, "mysql://shop:p%40ss%20word%3A%2F@db.internal:3307/orders");
  // DATABASE_URL wins over the parts; a bad port is refused.
  EXPECT_EQ(app::load_config(
                fixed_env({{"DATABASE_URL", "postgresql://db/shop"}, {"DB_HOST", "db.internal"}}))
                .database_url,
            "postgresql://db/shop");
  EXPECT_THROW(app::load_config(fixed_env({{"DB_HOST", "db"}, {"DB_PORT", "x"}})),
               app::ConfigError);
}

TEST(Config, MysqlUrlsAreCheckedAtStart) {
  EXPECT_TRUE(app::load_config(fixed_env({{"DATABASE_URL", "mariadb://u@h/db"}})).mysql());
  EXPECT_FALSE(app::load_config(fixed_env({{"DATABASE_URL", "postgresql://u@h/db"}})).mysql());
  EXPECT_THROW(app::load_config(fixed_env({{"DATABASE_URL", "mysql://u@h/db?ssl-mode=maybe"}})),
               app::ConfigError);
  EXPECT_EQ(
      app::load_config(fixed_env({{"DATABASE_URL", "mysql://u@h/db"},
                                  {"DATABASE_REPLICA_URLS", "mysql://u@r1/db,mariadb://u@r2/db"}}))
          .database_replica_urls.size(),
      2u);
  EXPECT_THROW(
      app::load_config(fixed_env({{"DATABASE_URL", "mysql://u@h/db"},
                                  {"DATABASE_REPLICA_URLS", "mysql://u@r/db?ssl-mode=x"}})),
      app::ConfigError);
  // A replica of another kind of database cannot say whether it has this primary's writes.
  EXPECT_THROW(app::load_config(fixed_env({{"DATABASE_URL", "mysql://u@h/db"},
                                           {"DATABASE_REPLICA_URLS", "postgresql://u@r/db"}})),
               app::ConfigError);
  EXPECT_THROW(app::load_config(fixed_env({{"DATABASE_URL", "postgresql://u@h/db"},
                                           {"DATABASE_REPLICA_URLS", "mysql://u@r/db"}})),
               app::ConfigError);
}
