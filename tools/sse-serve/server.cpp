#include "server.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "common/diagnostics.hpp"
#include "counter_source.hpp"
#include "event_hub.hpp"
#include "exit_status.hpp"
#include "history.hpp"
#include "listener.hpp"
#include "page.hpp"
#include "serve_context.hpp"
#include "stdin_source.hpp"

namespace sse::serve {

namespace asio = boost::asio;
using boost::system::error_code;

int run(options const& opts) {
  std::signal(SIGPIPE, SIG_IGN);  // a client gone mid-write is an error code, never a kill
  // Started with stdin closed (cmd <&-): hold fd 0 with /dev/null, or the listening socket would
  // become fd 0 and be read as the input.
  if (::fcntl(STDIN_FILENO, F_GETFD) == -1) {
    int fd = ::open("/dev/null", O_RDONLY);
    if (fd > STDIN_FILENO) ::close(fd);
  }

  ring_history history(opts.history, opts.history_bytes);
  event_hub hub(history);
  serve_context ctx{hub, opts, render_page(opts.path), 0, {}};
  asio::io_context ioc(1);

  listener accepting(ioc, ctx);
  if (std::string problem = accepting.open(opts.host, opts.port); !problem.empty()) {
    tools::error(problem);
    return static_cast<int>(exit_status::failure);
  }

  std::unique_ptr<event_source> source;
  if (opts.counter) {
    source = std::make_unique<counter_source>(ioc, hub, opts.interval, opts.event_type);
  } else {
    source = std::make_unique<stdin_source>(ioc, hub, opts);
  }

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer ping_timer(ioc);
  asio::steady_timer grace_timer(ioc);
  int caught_signal = 0;
  bool stopping = false;

  // Ends every stream with the end event, then stops once they are flushed (or the grace ends).
  // At the end of input the server still answers while it waits, so a client that reconnects
  // meanwhile gets 204 (stop reconnecting); a signal stops accepting at once.
  auto shutdown = [&](char const* reason, bool keep_accepting) {
    if (stopping) return;
    stopping = true;
    if (!keep_accepting) accepting.stop();
    source->stop();
    ping_timer.cancel();
    ctx.on_streams_closed = [&ioc] { ioc.stop(); };
    hub.end(reason);
    if (ctx.open_streams == 0) {
      ioc.stop();
      return;
    }
    grace_timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(opts.shutdown_grace)));
    grace_timer.async_wait([&ioc](error_code ec) {
      if (!ec) ioc.stop();
    });
  };

  // The first signal ends the streams gracefully; a second one (or one during the grace) stops now.
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](error_code ec, int signal_number) {
      if (ec) return;
      caught_signal = signal_number;
      if (stopping) {
        ioc.stop();
        return;
      }
      shutdown("shutdown", false);
      wait_signal();
    });
  };
  wait_signal();

  std::function<void()> ping;
  if (opts.ping > 0) {
    auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(opts.ping));
    ping = [&, interval] {
      ping_timer.expires_after(interval);
      ping_timer.async_wait([&](error_code ec) {
        if (ec || stopping) return;
        hub.ping();
        ping();
      });
    };
    ping();
  }

  source->start([&] {
    if (opts.exit_on_eof) {
      shutdown("eof", true);
    } else if (opts.verbose) {
      tools::info("stdin ended after " + std::to_string(hub.published()) +
                  " events; still serving (--exit-on-eof ends the streams instead)");
    }
  });
  accepting.start();
  if (!opts.quiet) tools::info("listening on " + url_of(accepting.local_endpoint()));

  ioc.run();

  if (caught_signal != 0) {
    // Let the shell see how we ended (130 for Ctrl-C), as tools do after cleaning up.
    std::signal(caught_signal, SIG_DFL);
    std::raise(caught_signal);
    return 128 + caught_signal;
  }
  return static_cast<int>(exit_status::ok);
}

}  // namespace sse::serve
