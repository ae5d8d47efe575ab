#include "backplane/hiredis_asio.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/post.hpp>
#include <utility>

namespace sse::serve {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// What hiredis keeps for each command: the caller's callback, unless the connection was closed
// by its owner meanwhile (then the reply is dropped instead of reaching an owner that is gone).
struct pending_command {
  redis_callback done;
  std::shared_ptr<bool> open;
};

}  // namespace

// hiredis's event hooks, forwarding to the connection in ac->ev.data.
struct redis_connection::hooks {
  static redis_connection& of(void* data) { return *static_cast<redis_connection*>(data); }
  static void add_read(void* data) {
    auto& c = of(data);
    c.reading_ = true;
    c.watch_read();
  }
  static void del_read(void* data) { of(data).reading_ = false; }
  static void add_write(void* data) {
    auto& c = of(data);
    c.writing_ = true;
    c.watch_write();
  }
  static void del_write(void* data) { of(data).writing_ = false; }
  static void cleanup(void* data) {
    // hiredis frees the context (and closes the socket right after): let go of the descriptor
    // first, which also ends the waits on it.
    auto& c = of(data);
    c.reading_ = false;
    c.writing_ = false;
    c.context_ = nullptr;
    c.socket_.release();
  }
};

redis_connection::redis_connection(asio::io_context& ioc) : ioc_(ioc), socket_(ioc), timer_(ioc) {}

redis_connection::~redis_connection() {
  close();
}

void redis_connection::open(std::string const& address, std::uint16_t port,
                            std::vector<std::string> const& hello,
                            std::chrono::milliseconds timeout,
                            std::function<void(std::string const&)> on_ready,
                            std::function<void(std::string const&)> on_lost) {
  on_ready_ = std::move(on_ready);
  on_lost_ = std::move(on_lost);
  hello_.clear();
  // hello holds whole commands separated by empty strings: {"AUTH","pw","","SELECT","2"}.
  hello_.emplace_back();
  for (std::string const& word : hello) {
    if (word.empty()) {
      hello_.emplace_back();
    } else {
      hello_.back().push_back(word);
    }
  }
  if (hello_.back().empty()) hello_.pop_back();

  context_ = redisAsyncConnect(address.c_str(), port);
  if (context_ == nullptr || context_->err != 0) {
    std::string why =
        context_ != nullptr && context_->errstr != nullptr ? context_->errstr : "out of memory";
    if (context_ != nullptr) redisAsyncFree(context_);
    context_ = nullptr;
    asio::post(ioc_, [self = shared_from_this(), why] { self->failed(why); });
    return;
  }
  // The descriptor first: the hooks below start waits on it at once.
  error_code ec;
  socket_.assign(context_->c.fd, ec);
  if (ec) {
    redisAsyncFree(context_);
    context_ = nullptr;
    asio::post(ioc_, [self = shared_from_this(), why = "cannot watch the Redis socket: " +
                                                       ec.message()] { self->failed(why); });
    return;
  }
  context_->data = this;
  context_->ev.data = this;
  context_->ev.addRead = &hooks::add_read;
  context_->ev.delRead = &hooks::del_read;
  context_->ev.addWrite = &hooks::add_write;
  context_->ev.delWrite = &hooks::del_write;
  context_->ev.cleanup = &hooks::cleanup;
  redisAsyncSetConnectCallback(context_, &redis_connection::on_connect);
  redisAsyncSetDisconnectCallback(context_, &redis_connection::on_disconnect);
  // hiredis waits for the socket to be writable to learn that the connection is made (setting the
  // connect callback asks for that, through the hooks).
  timer_.expires_after(timeout);
  timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
    if (!wait_ec && !self->ready_ && !self->done_)
      self->failed("no answer within the connect timeout");
  });
}

void redis_connection::watch_read() {
  if (read_armed_ || context_ == nullptr || !reading_) return;
  read_armed_ = true;
  socket_.async_wait(
      asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](error_code ec) {
        self->read_armed_ = false;
        if (ec || self->context_ == nullptr || !self->reading_) return;
        redisAsyncHandleRead(self->context_);  // may free the context (cleanup clears context_)
        self->watch_read();
      });
}

void redis_connection::watch_write() {
  if (write_armed_ || context_ == nullptr || !writing_) return;
  write_armed_ = true;
  socket_.async_wait(asio::posix::stream_descriptor::wait_write,
                     [self = shared_from_this()](error_code ec) {
                       self->write_armed_ = false;
                       if (ec || self->context_ == nullptr || !self->writing_) return;
                       redisAsyncHandleWrite(self->context_);
                       self->watch_write();
                     });
}

// hiredis runs the connect and disconnect callbacks while it frees the context, without marking
// itself as inside a callback: the owner is told later (posted), when the context is gone, so
// that nothing it does then (closing, reconnecting) can free the context a second time.
void redis_connection::on_connect(redisAsyncContext const* ac, int status) {
  auto& self = *static_cast<redis_connection*>(ac->data);
  if (status != REDIS_OK) {
    std::string why = ac->errstr != nullptr ? ac->errstr : "cannot connect";
    self.done_ = true;
    self.timer_.cancel();
    asio::post(self.ioc_, [self = self.shared_from_this(), why] {
      if (self->on_ready_) self->on_ready_(why);
    });
    return;
  }
  self.send_hello(0);
}

void redis_connection::send_hello(std::size_t index) {
  if (index == hello_.size()) {
    ready_ = true;
    timer_.cancel();
    if (on_ready_) on_ready_("");
    return;
  }
  command(hello_[index],
          [self = shared_from_this(), index](redisReply* reply, std::string const& error) {
            if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
              std::string why = reply != nullptr ? std::string(reply->str, reply->len) : error;
              // The words of AUTH are never repeated: they hold the password.
              self->failed(self->hello_[index].front() + " failed: " + why);
              return;
            }
            self->send_hello(index + 1);
          });
}

void redis_connection::on_disconnect(redisAsyncContext const* ac, int status) {
  auto& self = *static_cast<redis_connection*>(ac->data);
  if (self.done_) return;
  self.done_ = true;
  self.timer_.cancel();
  std::string why =
      status == REDIS_OK ? "closed" : (ac->errstr != nullptr ? ac->errstr : "connection lost");
  bool const was_ready = self.ready_;
  self.ready_ = false;
  asio::post(self.ioc_, [self = self.shared_from_this(), why, was_ready] {
    if (was_ready) {
      if (self->on_lost_) self->on_lost_(why);
    } else if (self->on_ready_) {
      self->on_ready_(why);
    }
  });
}

void redis_connection::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<pending_command> pending(static_cast<pending_command*>(privdata));
  if (!*pending->open) return;
  if (reply == nullptr) {
    pending->done(nullptr, ac->errstr != nullptr && ac->err != 0 ? ac->errstr
                                                                 : "the connection to Redis ended");
  } else {
    pending->done(static_cast<redisReply*>(reply), "");
  }
}

void redis_connection::command(std::vector<std::string> const& argv, redis_callback done) {
  if (context_ == nullptr || done_) {
    asio::post(ioc_, [done = std::move(done)] { done(nullptr, "not connected to Redis"); });
    return;
  }
  std::vector<char const*> words;
  std::vector<std::size_t> sizes;
  for (std::string const& w : argv) {
    words.push_back(w.data());
    sizes.push_back(w.size());
  }
  if (!open_) open_ = std::make_shared<bool>(true);
  auto* pending = new pending_command{std::move(done), open_};
  if (redisAsyncCommandArgv(context_, &redis_connection::on_reply, pending,
                            static_cast<int>(words.size()), words.data(),
                            sizes.data()) != REDIS_OK) {
    std::unique_ptr<pending_command> owned(pending);
    asio::post(ioc_,
               [done = std::move(owned->done)] { done(nullptr, "Redis refused the command"); });
  }
}

void redis_connection::failed(std::string const& why) {
  if (done_) return;
  done_ = true;
  timer_.cancel();
  bool const was_ready = ready_;
  ready_ = false;
  if (context_ != nullptr) redisAsyncFree(context_);  // pending commands get their error from it
  if (was_ready) {
    if (on_lost_) on_lost_(why);
  } else if (on_ready_) {
    on_ready_(why);
  }
}

void redis_connection::close() {
  done_ = true;
  ready_ = false;
  timer_.cancel();
  if (open_) *open_ = false;
  if (context_ != nullptr) redisAsyncFree(context_);
}

}  // namespace sse::serve
