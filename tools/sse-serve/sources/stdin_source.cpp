#include "sources/stdin_source.hpp"

#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

#include "common/diagnostics.hpp"

namespace sse::serve {

namespace {
constexpr std::size_t read_size = 64 * 1024;
}

stdin_source::stdin_source(boost::asio::io_context& ioc, event_sink& sink,
                           input_config const& config, bool quiet)
    : input_(ioc), sink_(sink), quiet_(quiet), buffer_(new char[read_size]) {
  input_sinks sinks;
  sinks.warning = [this](std::string const& where, std::string const& message) {
    if (!quiet_) tools::warning("stdin " + where + ": " + message);
  };
  sinks.event = [this, warn = sinks.warning](source_event&& ev) {
    if (auto e = sink_.publish(ev, event_source_kind::input); e != sse::encode_error::none) {
      warn(reader_->where(), std::string("cannot send this event: ") + sse::to_string(e));
    }
  };
  sinks.retry = [this](std::uint64_t ms) { sink_.publish_retry(ms); };
  reader_ = make_input_reader(config, std::move(sinks));
}

void stdin_source::start(std::function<void()> on_end) {
  on_end_ = std::move(on_end);
  int fd = ::dup(STDIN_FILENO);
  boost::system::error_code ec;
  if (fd >= 0) input_.assign(fd, ec);
  if (fd < 0 || ec) {
    tools::warning("cannot read standard input; serving without a source");
    if (fd >= 0) ::close(fd);
    stopped_ = true;
    if (on_end_) on_end_();
    return;
  }
  read();
}

void stdin_source::read() {
  if (stopped_) return;
  input_.async_read_some(boost::asio::buffer(buffer_.get(), read_size),
                         [this](boost::system::error_code ec, std::size_t n) { on_read(ec, n); });
}

void stdin_source::on_read(boost::system::error_code ec, std::size_t n) {
  if (stopped_) return;
  if (n > 0) reader_->feed(std::string_view(buffer_.get(), n));
  if (!ec) {
    sink_.flush();
    // With backpressure, read no faster than the slowest client takes what was read.
    if (sink_.throttled()) {
      sink_.when_unthrottled([this] { read(); });
    } else {
      read();
    }
    return;
  }
  if (ec != boost::asio::error::eof) tools::warning("reading standard input: " + ec.message());
  reader_->finish();
  sink_.flush();
  stopped_ = true;
  if (on_end_) on_end_();
}

void stdin_source::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  input_.cancel(ignored);
}

}  // namespace sse::serve
