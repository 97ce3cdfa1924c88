#include "drivers/redis/client.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <csignal>
#include <deque>

#include "base/async.hpp"

namespace orderflow::redis {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::optional<Options> parse_url(std::string_view text) {
  const auto url = boost::urls::parse_uri(text);
  if (!url || url->scheme() != "redis" || !url->has_authority()) return std::nullopt;
  Options o;
  if (!url->host().empty()) o.host = std::string(url->encoded_host().decode());
  if (url->has_port()) {
    if (url->port_number() == 0) return std::nullopt;
    o.port = url->port_number();
  }
  if (url->has_userinfo()) {
    const auto user = std::string(url->user());
    if (!user.empty()) o.username = user;
    if (url->has_password()) o.password = std::string(url->password());
  }
  auto path = std::string(url->path());
  if (!path.empty() && path != "/") {
    try {
      std::size_t used = 0;
      o.db = std::stoi(path.substr(1), &used);
      if (used != path.size() - 1 || o.db < 0) return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return o;
}

struct Client::Impl : std::enable_shared_from_this<Impl> {
  struct Request {
    std::vector<Command> commands;
    std::shared_ptr<std::vector<Reply>> replies;  // await_result's holder
    std::size_t remaining = 0;
    Completion done;
    std::unique_ptr<asio::steady_timer> timer;
    bool finished = false;
  };
  // hiredis' privdata for one command's reply.
  struct Slot {
    std::shared_ptr<Request> request;
    std::size_t index;
  };
  enum class State { idle, connecting, ready };

  Impl(asio::any_io_executor ex, Options o)
      : strand(asio::make_strand(ex)),
        socket(strand),
        connect_timer(strand),
        resolver(strand),
        options(std::move(o)),
        backoff(options.min_backoff) {}
  ~Impl() {
    // Only reached when no handler of ours is pending any more: free what is left.
    if (ac) {
      auto* c = std::exchange(ac, nullptr);
      redisAsyncFree(c);
    }
  }

  asio::strand<asio::any_io_executor> strand;
  asio::posix::stream_descriptor socket;
  asio::steady_timer connect_timer;
  asio::ip::tcp::resolver resolver;
  std::uint64_t attempts = 0;  // connection attempts so far: a late lookup of an old one is ignored
  Options options;
  redisAsyncContext* ac = nullptr;
  State state = State::idle;
  std::atomic<bool> is_ready{false};
  std::deque<std::shared_ptr<Request>> waiting;  // for the connection
  bool want_read = false, want_write = false, reading = false, writing = false;
  Clock::time_point retry_after{};
  std::chrono::milliseconds backoff;
  std::string last_error, drop_reason;

  static Impl* of(const redisAsyncContext* c) { return static_cast<Impl*>(c->data); }

  void finish(Request& r, std::exception_ptr error) {
    if (r.finished) return;
    r.finished = true;
    if (r.timer) r.timer->cancel();
    r.done(error);
  }
  void fail(Request& r, const std::string& why) {
    finish(r, std::make_exception_ptr(ConnectionError(why)));
  }

  void submit(std::shared_ptr<Request> r) {
    r->replies->resize(r->commands.size());
    r->remaining = r->commands.size();
    if (r->commands.empty()) return finish(*r, nullptr);
    if (state == State::idle && Clock::now() < retry_after)
      return fail(*r, "redis unavailable: " + last_error);
    r->timer = std::make_unique<asio::steady_timer>(strand, options.command_timeout);
    r->timer->async_wait([self = shared_from_this(),
                          weak = std::weak_ptr<Request>(r)](const boost::system::error_code& ec) {
      // A reply that does not come in time leaves the connection in an unknown state.
      auto req = weak.lock();
      if (ec || !req || req->finished) return;
      self->drop("no reply within " + std::to_string(self->options.command_timeout.count()) +
                 " ms");
    });
    if (state == State::ready) return send(r);
    waiting.push_back(std::move(r));
    if (state == State::idle) connect();
  }

  // Queues one command on the connection; its reply goes to `callback` with `privdata`.
  bool write_command(const Command& cmd, redisCallbackFn* callback, void* privdata) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    return redisAsyncCommandArgv(ac, callback, privdata, static_cast<int>(argv.size()), argv.data(),
                                 lens.data()) == REDIS_OK;
  }

  void send(const std::shared_ptr<Request>& r) {
    for (std::size_t i = 0; i < r->commands.size(); ++i) {
      auto* slot = new Slot{r, i};
      if (!write_command(r->commands[i], &Impl::on_reply, slot)) {
        delete slot;
        return drop(ac && ac->errstr ? ac->errstr : "cannot send the command");
      }
    }
  }

  static void on_reply(redisAsyncContext* c, void* reply, void* privdata) {
    std::unique_ptr<Slot> slot(static_cast<Slot*>(privdata));
    auto* self = of(c);
    auto& req = *slot->request;
    if (req.finished) return;
    if (!reply)
      return self->fail(req, self->drop_reason.empty() ? "connection lost" : self->drop_reason);
    (*req.replies)[slot->index] = to_reply(static_cast<redisReply*>(reply));
    if (--req.remaining == 0) self->finish(req, nullptr);
  }

  // Handshake replies (AUTH, SELECT): an error there makes the connection useless.
  static void on_handshake(redisAsyncContext* c, void* reply, void*) {
    auto* self = of(c);
    auto* r = static_cast<redisReply*>(reply);
    if (self && r && r->type == REDIS_REPLY_ERROR)
      self->drop("redis refused the handshake: " + std::string(r->str, r->len));
  }

  void connect() {
    state = State::connecting;
    drop_reason.clear();
    const auto attempt = ++attempts;
    connect_timer.expires_after(options.connect_timeout);
    connect_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && self->state == State::connecting) self->drop("cannot connect: timed out");
    });
    boost::system::error_code not_an_address;
    asio::ip::make_address(options.host, not_an_address);
    if (!not_an_address) return open(options.host);
    // hiredis would look the name up itself, blocking this thread; Asio's resolver does it on a
    // thread of its own.
    resolver.async_resolve(
        options.host, std::to_string(options.port),
        [self = shared_from_this(), attempt](const boost::system::error_code& ec,
                                             const asio::ip::tcp::resolver::results_type& found) {
          if (attempt != self->attempts || self->state != State::connecting) return;
          if (ec || found.empty())
            return self->connect_failed("cannot resolve " + self->options.host + ": " +
                                        (ec ? ec.message() : "no address"));
          // An IPv4 address first, as hiredis' own lookup prefers.
          const auto v4 = std::find_if(found.begin(), found.end(), [](const auto& entry) {
            return entry.endpoint().address().is_v4();
          });
          self->open((v4 != found.end() ? v4 : found.begin())->endpoint().address().to_string());
        });
  }

  // Connects hiredis to `address` (an IP address, never a name to look up).
  void open(const std::string& address) {
    ac = redisAsyncConnect(address.c_str(), options.port);
    if (!ac || ac->err) {
      const std::string why = ac ? ac->errstr : "out of memory";
      if (ac) redisAsyncFree(std::exchange(ac, nullptr));
      return connect_failed("cannot connect: " + why);
    }
    ac->data = this;
    bound_reply_arrays(ac->c.reader);
    socket.assign(ac->c.fd);
    ac->ev.data = this;
    ac->ev.addRead = [](void* p) { static_cast<Impl*>(p)->watch(true, true); };
    ac->ev.delRead = [](void* p) { static_cast<Impl*>(p)->want_read = false; };
    ac->ev.addWrite = [](void* p) { static_cast<Impl*>(p)->watch(false, true); };
    ac->ev.delWrite = [](void* p) { static_cast<Impl*>(p)->want_write = false; };
    ac->ev.cleanup = [](void* p) { static_cast<Impl*>(p)->detach(); };
    redisAsyncSetConnectCallback(ac, &Impl::on_connect);
    redisAsyncSetDisconnectCallback(ac, &Impl::on_disconnect);
    // Queued now, sent first once connected.
    if (options.password) {
      Command auth{"AUTH"};
      if (options.username) auth.push_back(*options.username);
      auth.push_back(*options.password);
      write_command(auth, &Impl::on_handshake, nullptr);
    }
    if (options.db != 0)
      write_command({"SELECT", std::to_string(options.db)}, &Impl::on_handshake, nullptr);
  }

  static void on_connect(const redisAsyncContext* c, int status) {
    auto* self = of(c);
    if (!self) return;
    if (status != REDIS_OK) {
      // hiredis frees the context itself after this callback.
      self->ac = nullptr;
      return self->connect_failed(std::string("cannot connect: ") + c->errstr);
    }
    self->connect_timer.cancel();
    self->state = State::ready;
    self->is_ready = true;
    self->backoff = self->options.min_backoff;
    auto waiting = std::move(self->waiting);
    self->waiting.clear();
    for (auto& r : waiting)
      if (!r->finished && self->ac) self->send(r);
  }

  static void on_disconnect(const redisAsyncContext* c, int status) {
    auto* self = of(c);
    if (!self) return;
    self->ac = nullptr;
    self->state = State::idle;
    self->is_ready = false;
    // A drop() records its own failure.
    if (status != REDIS_OK && self->drop_reason.empty()) self->note_failure(c->errstr);
  }

  void connect_failed(const std::string& why) {
    state = State::idle;
    is_ready = false;
    connect_timer.cancel();
    resolver.cancel();
    note_failure(why);
    auto waiting_now = std::move(waiting);
    waiting.clear();
    for (auto& r : waiting_now) fail(*r, why);
  }

  void note_failure(const std::string& why) {
    last_error = why;
    retry_after = Clock::now() + backoff;
    backoff = std::min(backoff * 2, options.max_backoff);
  }

  // Drops the connection: everything in flight or waiting fails with `why`.
  void drop(const std::string& why) {
    drop_reason = why;
    if (auto* c = std::exchange(ac, nullptr)) {
      c->data = this;  // callbacks during the free still reach us
      redisAsyncFree(c);
    }
    connect_failed(why);
  }

  // The descriptor belongs to hiredis, which closes it: let go of it.
  void detach() {
    want_read = want_write = false;
    boost::system::error_code ignored;
    if (socket.is_open()) {
      socket.cancel(ignored);
      socket.release();
    }
  }

  void watch(bool read, bool want) {
    (read ? want_read : want_write) = want;
    bool& busy = read ? reading : writing;
    if (busy || !ac || !socket.is_open()) return;
    busy = true;
    socket.async_wait(read ? asio::posix::stream_descriptor::wait_read
                           : asio::posix::stream_descriptor::wait_write,
                      [self = shared_from_this(), read](const boost::system::error_code& ec) {
                        (read ? self->reading : self->writing) = false;
                        if (ec || !self->ac || !(read ? self->want_read : self->want_write)) return;
                        if (read)
                          redisAsyncHandleRead(self->ac);
                        else
                          redisAsyncHandleWrite(self->ac);
                        if (self->ac && (read ? self->want_read : self->want_write))
                          self->watch(read, true);
                      });
  }
};

Client::Client(asio::any_io_executor executor, Options options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {
  // hiredis writes to its socket without MSG_NOSIGNAL: a write to a connection Redis reset
  // would raise SIGPIPE and kill the process. Ignored, the write fails with EPIPE instead and
  // the connection is dropped like any other failure.
  static const bool sigpipe_ignored = std::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
  (void)sigpipe_ignored;
}

Client::~Client() {
  // At once, not posted: the executor may never run again, and a request left in flight keeps
  // the coroutines awaiting it, which keep the connection (a reference cycle, a leak at exit).
  impl_->drop("client closed");
}

asio::awaitable<std::vector<Reply>> Client::pipeline(std::vector<Command> commands) {
  co_return co_await await_result<std::vector<Reply>>(
      [&](std::shared_ptr<std::vector<Reply>> replies, Completion done) {
        auto req = std::make_shared<Impl::Request>();
        req->commands = std::move(commands);
        req->replies = std::move(replies);
        req->done = std::move(done);
        asio::post(impl_->strand, [impl = impl_, req] { impl->submit(req); });
      });
}

asio::awaitable<Reply> Client::command(Command cmd) {
  std::vector<Command> one;
  one.push_back(std::move(cmd));
  auto replies = co_await pipeline(std::move(one));
  if (replies.at(0).type == Reply::Type::error) throw_reply_error(replies[0].str);
  co_return std::move(replies[0]);
}

void throw_reply_error(const std::string& message) {
  for (const std::string_view transient :
       {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "MISCONF"})
    if (message.starts_with(transient) &&
        (message.size() == transient.size() || message[transient.size()] == ' '))
      throw core::DependencyUnavailable("redis", message);
  throw ReplyError(message);
}

bool Client::connected() const {
  return impl_->is_ready;
}

}  // namespace orderflow::redis
