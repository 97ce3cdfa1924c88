#pragma once
// A server that goes away and comes back, for one test, without stopping the shared one: a TCP
// relay on a loopback port of its own, on a thread of its own, to the real server.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <list>
#include <memory>
#include <string>
#include <thread>

namespace orderflow::testing {

class TcpRelay {
 public:
  explicit TcpRelay(std::uint16_t target_port)
      : target_({boost::asio::ip::address_v4::loopback(), target_port}),
        acceptor_(io_, {boost::asio::ip::address_v4::loopback(), 0}) {
    boost::asio::co_spawn(io_, accept(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TcpRelay() {
    on_relay_thread([this] {
      acceptor_.close();
      drop_all();
    });
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // Every relayed connection is closed, and new ones are closed as soon as they are accepted.
  void cut() {
    on_relay_thread([this] {
      cut_ = true;
      drop_all();
    });
  }
  void mend() {
    on_relay_thread([this] { cut_ = false; });
  }

 private:
  using Socket = boost::asio::ip::tcp::socket;
  struct Pair {
    Socket client, server;
  };

  template <typename F>
  void on_relay_thread(F f) {
    boost::asio::post(io_, boost::asio::use_future(std::move(f))).get();
  }
  void drop_all() {
    boost::system::error_code ignored;
    for (auto& p : pairs_) {
      p->client.close(ignored);
      p->server.close(ignored);
    }
    pairs_.clear();
  }
  boost::asio::awaitable<void> accept() {
    for (;;) {
      Socket client = co_await acceptor_.async_accept(boost::asio::use_awaitable);
      if (cut_) continue;  // closed as it goes out of scope
      auto pair = std::make_shared<Pair>(Pair{std::move(client), Socket(io_)});
      boost::system::error_code ec;
      pair->server.connect(target_, ec);  // loopback: at once
      if (ec) continue;
      pairs_.push_back(pair);
      boost::asio::co_spawn(io_, pump(pair, pair->client, pair->server), boost::asio::detached);
      boost::asio::co_spawn(io_, pump(pair, pair->server, pair->client), boost::asio::detached);
    }
  }
  static boost::asio::awaitable<void> pump(std::shared_ptr<Pair> keep, Socket& from, Socket& to) {
    std::array<char, 16384> buf;
    boost::system::error_code ignored;
    try {
      for (;;) {
        const auto n =
            co_await from.async_read_some(boost::asio::buffer(buf), boost::asio::use_awaitable);
        co_await boost::asio::async_write(to, boost::asio::buffer(buf.data(), n),
                                          boost::asio::use_awaitable);
      }
    } catch (const boost::system::system_error&) {
    }
    keep->client.close(ignored);
    keep->server.close(ignored);
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::endpoint target_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::list<std::shared_ptr<Pair>> pairs_;
  bool cut_ = false;
  std::thread thread_;
};

}  // namespace orderflow::testing
