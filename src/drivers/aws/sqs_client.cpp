#include "drivers/aws/sqs_client.hpp"

#include <openssl/err.h>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <mutex>
#include <optional>
#include <vector>

#include "base/ids.hpp"

namespace orderflow::aws {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kMaxAnswerBytes = 16 << 20;  // ten 256 KiB messages and their attributes
constexpr const char* kContentType = "application/x-amz-json-1.0";

struct Endpoint {
  bool tls = true;
  std::string host, port, host_header;
};

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

Endpoint parse_endpoint(const std::string& url) {
  const auto u = boost::urls::parse_absolute_uri(url);
  if (!u) throw std::invalid_argument("the SQS endpoint is not a URL: " + url);
  Endpoint e;
  if (u->scheme() == "http")
    e.tls = false;
  else if (u->scheme() != "https")
    throw std::invalid_argument("the SQS endpoint must be https:// (or http:// to loopback)");
  e.host = u->host_address();
  if (e.host.empty()) throw std::invalid_argument("the SQS endpoint has no host: " + url);
  e.port = u->has_port() ? std::string(u->port()) : (e.tls ? "443" : "80");
  if (!u->path().empty() && u->path() != "/")
    throw std::invalid_argument("the SQS endpoint must not have a path: " + url);
  if (!e.tls && !is_loopback(e.host))
    throw std::invalid_argument("plain http:// only to a loopback endpoint (an emulator): " + url);
  e.host_header = std::string(u->encoded_host_and_port());
  return e;
}

// SQS's throttling errors, retried as the SDKs retry them.
bool throttling(std::string_view code) {
  for (std::string_view c :
       {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "RequestThrottled", "RequestLimitExceeded", "SlowDown"})
    if (code == c) return true;
  return false;
}

struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

template <typename Stream>
asio::awaitable<void> exchange(Stream& stream, http::request<http::string_body>& request,
                               beast::flat_buffer& buffer,
                               http::response_parser<http::string_body>& parser) {
  co_await http::async_write(stream, request, asio::use_awaitable);
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
}

// One attempt's outcome: an answer (status > 0), or the connection's failure.
struct Attempt {
  unsigned status = 0;
  std::string body;
  std::string failure;
  bool reused = false;  // on a kept-alive connection (which the server may have closed)
};

}  // namespace

struct SqsClient::Impl {
  Impl(asio::any_io_executor ex, SqsOptions o)
      : executor(std::move(ex)),
        options(std::move(o)),
        endpoint(parse_endpoint(options.endpoint)),
        tokens(executor, std::max<std::size_t>(1, options.max_connections)) {
    if (endpoint.tls) {
      tls.emplace(ssl::context::tls_client);
      tls->set_default_verify_paths();
      tls->set_verify_mode(ssl::verify_peer);
    }
    // A token per connection that may be open at once.
    for (std::size_t i = 0; i < std::max<std::size_t>(1, options.max_connections); ++i)
      tokens.try_send(boost::system::error_code{});
  }

  asio::awaitable<std::unique_ptr<Connection>> connect() {
    tcp::resolver resolver(executor);
    const auto addresses =
        co_await resolver.async_resolve(endpoint.host, endpoint.port, asio::use_awaitable);
    auto c = std::make_unique<Connection>();
    if (tls) {
      c->tls.emplace(executor, *tls);
      if (!SSL_set_tlsext_host_name(c->tls->native_handle(), endpoint.host.c_str()))
        throw boost::system::system_error(static_cast<int>(::ERR_get_error()),
                                          asio::error::get_ssl_category());
      c->tls->set_verify_callback(ssl::host_name_verification(endpoint.host));
    } else {
      c->plain.emplace(executor);
    }
    c->tcp().expires_after(options.timeout);
    co_await c->tcp().async_connect(addresses, asio::use_awaitable);
    if (c->tls) co_await c->tls->async_handshake(ssl::stream_base::client, asio::use_awaitable);
    ++connects;
    co_return c;
  }

  asio::awaitable<Attempt> attempt(const std::string& action, const std::string& body,
                                   std::chrono::milliseconds wait) {
    co_await tokens.async_receive(asio::use_awaitable);
    struct Token {
      Impl& impl;
      ~Token() { impl.tokens.try_send(boost::system::error_code{}); }
    } token{*this};
    std::unique_ptr<Connection> c;
    {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        c = std::move(idle.back());
        idle.pop_back();
      }
    }
    Attempt out;
    out.reused = c != nullptr;
    std::string failure;
    try {
      if (!c) c = co_await connect();
      http::request<http::string_body> request{http::verb::post, "/", 11};
      const auto target = "AmazonSQS." + action;
      request.set(http::field::host, endpoint.host_header);
      request.set(http::field::content_type, kContentType);
      request.set("X-Amz-Target", target);
      request.body() = body;
      request.prepare_payload();
      const auto signature = sign_v4({"POST",
                                      "/",
                                      "",
                                      {{"host", endpoint.host_header},
                                       {"content-type", kContentType},
                                       {"x-amz-target", target}},
                                      body},
                                     options.credentials, options.region, "sqs", amz_date_now());
      for (const auto& [name, value] : signature.headers) request.set(name, value);
      http::response_parser<http::string_body> parser;
      parser.body_limit(kMaxAnswerBytes);
      c->tcp().expires_after(options.timeout + wait);
      if (c->tls)
        co_await exchange(*c->tls, request, c->buffer, parser);
      else
        co_await exchange(*c->plain, request, c->buffer, parser);
      auto response = parser.release();
      out.status = response.result_int();
      out.body = std::move(response.body());
      if (response.keep_alive()) {
        std::lock_guard lock(mutex);
        idle.push_back(std::move(c));
      }
    } catch (const boost::system::system_error& e) {
      failure = e.what();
    }
    out.failure = std::move(failure);
    co_return out;
  }

  asio::any_io_executor executor;
  SqsOptions options;
  Endpoint endpoint;
  std::optional<ssl::context> tls;
  // Free connection slots, as tokens: a request takes one while it runs.
  asio::experimental::concurrent_channel<void(boost::system::error_code)> tokens;
  std::mutex mutex;
  std::vector<std::unique_ptr<Connection>> idle;
  std::atomic<std::uint64_t> requests{0}, retries{0}, connects{0};
  // Once a call has found SQS unreachable, calls fail at once for a moment rather than each
  // waiting out its own attempts (clients get their 503s promptly); then one call at a time
  // tries SQS again. Long polls wait anyway, so they pass.
  std::atomic<std::int64_t> unreachable_until{0};  // steady clock ms; 0: reachable
  std::atomic<bool> probing{false};
};

namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A call's passage through SqsClient::Impl's breaker: whether SQS answered decides its state.
class Passage {
 public:
  static constexpr std::int64_t kPauseMs = 1000;
  Passage(SqsClient::Impl& impl, const std::string& action, bool long_poll) : impl_(impl) {
    const auto until = impl.unreachable_until.load();
    if (long_poll || until == 0) return;
    if (steady_ms() < until || impl.probing.exchange(true))
      throw SqsUnavailable(action + ": SQS did not answer just now");
    probe_ = true;
  }
  ~Passage() {
    impl_.unreachable_until = answered_ ? 0 : steady_ms() + kPauseMs;
    if (probe_) impl_.probing = false;
  }
  void answered() { answered_ = true; }
  // The probe after a pause tries once: while SQS stays away, its caller fails soon too.
  bool probe() const { return probe_; }

 private:
  SqsClient::Impl& impl_;
  bool probe_ = false, answered_ = false;
};

}  // namespace

SqsClient::SqsClient(asio::any_io_executor executor, SqsOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

SqsClient::~SqsClient() = default;

asio::awaitable<json::object> SqsClient::call(std::string action, json::object request,
                                              std::chrono::milliseconds wait) {
  const auto impl = impl_;  // the coroutine keeps the client's state alive
  const auto body = json::serialize(request);
  Passage passage(*impl, action, wait.count() > 0);
  ++impl->requests;
  std::string last;
  bool stale_retried = false;
  for (int attempt = 1;; ++attempt) {
    auto a = co_await impl->attempt(action, body, wait);
    bool retryable = true;
    if (!a.failure.empty()) {
      // A kept-alive connection the server had closed: once, at once, on a new one.
      if (a.reused && !stale_retried) {
        stale_retried = true;
        --attempt;
        continue;
      }
      last = action + ": " + a.failure;
    } else {
      json::object answer;
      boost::system::error_code ec;
      auto parsed = json::parse(a.body, ec);
      if (!ec && parsed.is_object()) answer = std::move(parsed.as_object());
      if (a.status == 200) {
        if (ec || !parsed.is_object())
          throw SqsUnavailable(action + ": SQS answered with what is not JSON");
        passage.answered();
        co_return answer;
      }
      // {"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "…"}
      std::string code = answer.contains("__type") && answer.at("__type").is_string()
                             ? std::string(answer.at("__type").as_string())
                             : "HTTP " + std::to_string(a.status);
      code = code.substr(code.rfind('#') + 1);
      std::string message;
      for (const char* key : {"message", "Message"})
        if (answer.contains(key) && answer.at(key).is_string())
          message = std::string(answer.at(key).as_string());
      retryable = a.status >= 500 || a.status == 429 || throttling(code);
      if (!retryable) {
        passage.answered();
        throw SqsError(code, a.status, message);
      }
      last = action + ": " + code + ": " + message;
    }
    if (attempt >= (passage.probe() ? 1 : impl->options.max_attempts)) throw SqsUnavailable(last);
    // Exponential backoff with full jitter, as the SDKs' standard retry mode.
    const auto cap = std::min<std::int64_t>(impl->options.max_backoff.count(),
                                            impl->options.base_backoff.count() << (attempt - 1));
    asio::steady_timer pause(impl->executor);
    pause.expires_after(std::chrono::milliseconds(
        random_below(static_cast<std::uint64_t>(std::max<std::int64_t>(1, cap)))));
    co_await pause.async_wait(asio::use_awaitable);
    ++impl->retries;
  }
}

SqsClientStats SqsClient::stats() const {
  return {impl_->requests.load(), impl_->retries.load(), impl_->connects.load()};
}

}  // namespace orderflow::aws
