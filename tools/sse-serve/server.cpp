#include "server.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "common/diagnostics.hpp"
#include "common/signals.hpp"
#include "exit_status.hpp"
#include "page/page.hpp"
#include "sources/counter_source.hpp"
#include "sources/stdin_source.hpp"

namespace sse::serve {

namespace asio = boost::asio;
using boost::system::error_code;
using clock_duration = std::chrono::steady_clock::duration;

namespace {

clock_duration seconds(double s) {
  return std::chrono::duration_cast<clock_duration>(std::chrono::duration<double>(s));
}

http_config http_config_of(options const& o) {
  http_config c;
  c.path = o.path;
  c.cors = o.cors;
  for (std::string const& h : o.headers) {
    std::string_view s(h);
    auto colon = s.find(':');
    std::string_view value = s.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    c.headers.emplace_back(s.substr(0, colon), value);
  }
  c.retry = o.retry;
  c.max_clients = o.max_clients;
  c.backlog = o.backlog;
  c.request_timeout = o.request_timeout;
  c.metrics = o.metrics;
  c.max_publish = o.max_publish;
  c.token_cookie = o.token_cookie;
  c.h2_max_streams = o.h2_max_streams;
  c.verbose = o.verbose;
  c.quiet = o.quiet;
  return c;
}

// The timer that sends keep-alives and catches stalled clients ticks often enough for both
// (an eighth of the shorter), at most once every 10 ms and at least once a second.
clock_duration tick_period_of(options const& o) {
  double shortest = std::numeric_limits<double>::infinity();
  if (o.ping > 0) shortest = o.ping;
  if (o.stall_timeout > 0) shortest = std::min(shortest, o.stall_timeout);
  return seconds(std::clamp(shortest / 8, 0.01, 1.0));
}

std::uint64_t ticks(double s, clock_duration period) {
  if (s <= 0) return 0;
  double const n = std::ceil(s / std::chrono::duration<double>(period).count());
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(n));
}

hub_config hub_config_of(options const& o, clock_duration period) {
  hub_config c;
  c.policy = o.backpressure ? slow_client_policy::backpressure : slow_client_policy::drop;
  c.client_buffer = o.client_buffer;
  c.ping_ticks = ticks(o.ping, period);
  c.stall_ticks = ticks(o.stall_timeout, period);
  return c;
}

// The policy the options ask for; when a file cannot be used, ok is false, report says why, and
// the policy returned requires nothing (the server then does not start).
access_policy access_of(options const& o, access_report& report, bool& ok) {
  access_config c;
  c.token_file = o.token_file;
  c.jwt_secret_file = o.jwt_secret_file;
  c.publish_token_file = o.publish_token_file;
  // The publish token comes from the environment, never the command line (ps shows that).
  if (char const* token = std::getenv("SSE_PUBLISH_TOKEN"); token != nullptr)
    c.publish_token = token;
  std::optional<access_policy> policy = access_policy::load(c, report);
  ok = policy.has_value();
  if (!policy) {
    access_report ignored;
    policy = access_policy::load(access_config{}, ignored);
  }
  return std::move(*policy);
}

input_config input_config_of(options const& o) {
  input_config c;
  c.format = o.format;
  c.event_type = o.event_type;
  c.topic = o.topic;
  c.max_line = o.max_line;
  return c;
}

}  // namespace

server::server(options const& opts)
    : opts_(opts),
      http_(http_config_of(opts)),
      history_(opts.history, opts.history_bytes),
      hub_(history_, hub_config_of(opts, tick_period_of(opts)),
           [this](std::function<void()> f) { asio::post(ioc_, std::move(f)); }),
      access_(access_of(opts, access_report_, access_ok_)),
      ctx_(hub_, http_, render_page(opts.path, opts.backlog), access_),
      listener_(ioc_, ctx_),
      signals_(ioc_, SIGINT, SIGTERM),
      hangup_(ioc_, SIGHUP),
      tick_timer_(ioc_),
      grace_timer_(ioc_),
      tick_period_(tick_period_of(opts)) {}

server::~server() = default;

void server::raise_open_file_limit() {
  // Every client is a descriptor: take the hard limit, as nginx's worker_rlimit_nofile does,
  // instead of failing at the soft one (often 1024).
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  rlim_t target = limit.rlim_max;
  if (target == RLIM_INFINITY) {
    unsigned long nr_open = 1u << 20;
    std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
    target = nr_open;
  }
  rlim_t const before = limit.rlim_cur;
  limit.rlim_cur = target;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == 0 && opts_.verbose) {
    tools::info("raised the open-file limit from " + std::to_string(before) + " to " +
                std::to_string(target));
  }
}

int server::run() {
  std::signal(SIGPIPE, SIG_IGN);  // a client gone mid-write is an error code, never a kill
  // Started with stdin closed (cmd <&-): hold fd 0 with /dev/null, or the listening socket would
  // become fd 0 and be read as the input.
  if (::fcntl(STDIN_FILENO, F_GETFD) == -1) {
    int fd = ::open("/dev/null", O_RDONLY);
    if (fd > STDIN_FILENO) ::close(fd);
  }
  raise_open_file_limit();

  for (std::string const& w : access_report_.warnings) tools::warning(w);
  if (!access_ok_) {
    for (std::string const& e : access_report_.errors) tools::error(e);
    return static_cast<int>(exit_status::failure);
  }

  if (opts_.tls_cert && !load_tls(false)) return static_cast<int>(exit_status::failure);
  if (std::string problem = listener_.open(opts_.host, opts_.port); !problem.empty()) {
    tools::error(problem);
    return static_cast<int>(exit_status::failure);
  }
  if (opts_.redis) {
    redis_config rc;
    std::string why;
    rc.url = *parse_redis_url(*opts_.redis, why);  // checked by the option's validator
    // The password comes from the environment when the URL has none (ps shows the command line).
    if (char const* password = std::getenv("SSE_REDIS_PASSWORD");
        password != nullptr && rc.url.password.empty()) {
      rc.url.password = password;
    }
    rc.key = opts_.redis_key;
    rc.maxlen = opts_.history;
    rc.buffer = opts_.redis_buffer;
    rc.verbose = opts_.verbose;
    rc.quiet = opts_.quiet;
    redis_ = std::make_unique<redis_backplane>(ioc_, hub_, std::move(rc));
    hub_.set_backplane(redis_.get());
    ctx_.sink = redis_.get();
    ctx_.extra_metrics = [this] { return redis_->metrics(); };
  }
  if (opts_.counter) {
    source_ = std::make_unique<counter_source>(ioc_, sink(), opts_.interval, opts_.event_type,
                                               opts_.topic);
  } else if (!opts_.no_stdin) {
    source_ = std::make_unique<stdin_source>(ioc_, sink(), input_config_of(opts_), opts_.quiet);
  }

  if (redis_) redis_->start();
  wait_signal();
  wait_hangup();
  schedule_tick();
  if (source_) source_->start([this] { on_input_end(); });
  listener_.start();
  if (!opts_.quiet)
    tools::info("listening on " + url_of(listener_.local_endpoint(), ctx_.tls != nullptr));

  ioc_.run();

  if (opts_.verbose) {
    hub_counters const& c = hub_.counters();
    std::uint64_t published = 0;
    for (std::uint64_t n : c.published) published += n;
    tools::info("served " + std::to_string(c.streams_opened) + " streams; published " +
                std::to_string(published) + " events; delivered " +
                std::to_string(c.events_delivered) + " events (" +
                std::to_string(c.bytes_delivered) + " bytes); dropped " +
                std::to_string(c.evicted_behind + c.evicted_stalled) + " slow clients");
  }
  if (caught_signal_ != 0) return 128 + caught_signal_;
  return static_cast<int>(exit_status::ok);
}

void server::wait_signal() {
  signals_.async_wait([this](error_code ec, int n) { on_signal(ec, n); });
}

void server::on_signal(error_code ec, int signal_number) {
  if (ec) return;
  caught_signal_ = signal_number;
  // The first signal ends the streams gracefully; a second one (or one during the grace) stops now.
  if (stopping_) {
    ioc_.stop();
    return;
  }
  shutdown(stopping::shutdown);
  wait_signal();
}

void server::wait_hangup() {
  hangup_.async_wait([this](error_code ec, int) {
    if (ec) return;
    on_hangup();
    wait_hangup();
  });
}

void server::on_hangup() {
  if (opts_.tls_cert) load_tls(true);
  // Streams already open are not affected; a file that fails keeps its previous tokens.
  access_report report = access_.reload();
  for (std::string const& e : report.errors)
    tools::warning(e + "; keeping the tokens loaded before");
  for (std::string const& w : report.warnings) tools::warning(w);
  if (opts_.verbose) {
    tools::info("SIGHUP: reloaded " + std::to_string(access_.subscriber_tokens()) +
                " subscriber tokens and " + std::to_string(access_.publish_tokens()) +
                " publish tokens");
  }
}

bool server::load_tls(bool reloading) {
  // Connections already open keep the context they started with; new ones get this one.
  tls_load_result r = load_tls_context(*opts_.tls_cert, *opts_.tls_key, true);
  if (!r.context) {
    if (reloading) {
      tools::warning("SIGHUP: " + r.error + "; keeping the certificate loaded before");
    } else {
      tools::error(r.error);
    }
    return false;
  }
  for (std::string const& w : r.warnings) tools::warning(w);
  ctx_.tls = std::move(r.context);
  if (opts_.verbose)
    tools::info(std::string(reloading ? "SIGHUP: reloaded" : "TLS:") + " certificate " + r.subject);
  return true;
}

void server::schedule_tick() {
  if (opts_.ping <= 0 && opts_.stall_timeout <= 0) return;
  tick_timer_.expires_after(tick_period_);
  tick_timer_.async_wait([this](error_code ec) { on_tick(ec); });
}

void server::on_tick(error_code ec) {
  if (ec) return;
  hub_.tick();
  schedule_tick();
}

void server::on_input_end() {
  if (opts_.exit_on_eof && redis_) {
    // Everything read must be in Redis and back before the streams end.
    redis_->when_drained([this] { shutdown(stopping::end_of_input); });
  } else if (opts_.exit_on_eof) {
    shutdown(stopping::end_of_input);
  } else if (opts_.verbose) {
    tools::info("stdin ended after " + std::to_string(hub_.published()) +
                " events; still serving (--exit-on-eof ends the streams instead)");
  }
}

void server::shutdown(stopping why) {
  if (stopping_) return;
  stopping_ = true;
  ctx_.state = why;
  // At the end of input the server still answers while it waits, so a client that reconnects
  // meanwhile gets 204 (stop reconnecting); a signal stops accepting at once.
  if (why == stopping::shutdown) listener_.stop();
  if (source_) source_->stop();
  if (redis_) redis_->stop();
  ctx_.on_streams_closed = [this] { ioc_.stop(); };
  hub_.end(why == stopping::shutdown ? "shutdown" : "eof");
  if (ctx_.open_streams == 0) {
    ioc_.stop();
    return;
  }
  grace_timer_.expires_after(seconds(opts_.shutdown_grace));
  grace_timer_.async_wait([this](error_code ec) {
    if (!ec) ioc_.stop();
  });
}

int run(options const& opts) {
  int status = 0;
  int signal_number = 0;
  {
    server s(opts);
    status = s.run();
    if (status > tools::exit_signal(0)) signal_number = status - tools::exit_signal(0);
  }
  // Let the shell see how we ended (130 for Ctrl-C), as tools do after cleaning up.
  if (signal_number != 0) tools::reraise(signal_number);
  return status;
}

}  // namespace sse::serve
