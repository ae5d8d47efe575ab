#include "stdin_source.hpp"

#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

#include "common/diagnostics.hpp"

namespace sse::serve {

namespace {
constexpr std::size_t read_size = 64 * 1024;
}

stdin_source::stdin_source(boost::asio::io_context& ioc, event_hub& hub, options const& opts)
    : input_(ioc), hub_(hub), quiet_(opts.quiet), buffer_(new char[read_size]) {
  auto warn = [this](std::uint64_t line, std::string const& message) {
    if (!quiet_) tools::warning("stdin line " + std::to_string(line) + ": " + message);
  };
  decoder_ = std::make_unique<line_decoder>(
      opts.format, opts.event_type, opts.max_line,
      [this, warn](source_event&& ev) {
        if (auto e = hub_.publish(ev); e != sse::encode_error::none) {
          warn(splitter_->line_number(), std::string("cannot send this event: ") + sse::to_string(e));
        }
      },
      [this](std::uint64_t ms) { hub_.publish_retry(ms); }, warn);
  splitter_ = std::make_unique<line_splitter>(opts.max_line, *decoder_, warn);
}

void stdin_source::start(std::function<void()> on_end) {
  on_end_ = std::move(on_end);
  int fd = ::dup(STDIN_FILENO);
  boost::system::error_code ec;
  if (fd >= 0) input_.assign(fd, ec);
  if (fd < 0 || ec) {
    tools::warning("cannot read standard input; serving without a source");
    if (fd >= 0) ::close(fd);
    if (on_end_) on_end_();
    return;
  }
  read();
}

void stdin_source::read() {
  input_.async_read_some(
      boost::asio::buffer(buffer_.get(), read_size),
      [this](boost::system::error_code ec, std::size_t n) {
        if (stopped_) return;
        if (n > 0) splitter_->feed(std::string_view(buffer_.get(), n));
        if (!ec) {
          read();
          return;
        }
        if (ec != boost::asio::error::eof) {
          tools::warning("reading standard input: " + ec.message());
        }
        splitter_->finish();
        stopped_ = true;
        if (on_end_) on_end_();
      });
}

void stdin_source::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  input_.cancel(ignored);
}

}  // namespace sse::serve
