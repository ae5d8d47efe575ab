#include "state_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/write_all.hpp"

namespace sse::listen {
namespace {

constexpr std::string_view header =
    "# sse-listen state file: URL<TAB>last event id, one per line\n";

std::string directory_of(std::string const& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string failure(std::string const& what, std::string const& path, int err) {
  return what + " " + path + ": " + std::strerror(err);
}

}  // namespace

std::string format_state(state_entries const& entries) {
  std::string text(header);
  for (auto const& [url, id] : entries) {
    text.append(url).push_back('\t');
    text.append(id).push_back('\n');
  }
  return text;
}

std::optional<state_entries> parse_state(std::string_view text, std::string& error) {
  state_entries entries;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    std::string const where = "line " + std::to_string(line_number);
    auto nl = text.find('\n');
    if (nl == std::string_view::npos) {
      error = where + " does not end (the file is cut short)";
      return std::nullopt;
    }
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.find('\0') != std::string_view::npos || line.find('\r') != std::string_view::npos) {
      error = where + " holds a NUL or CR";
      return std::nullopt;
    }
    if (line.empty() || line.front() == '#') continue;
    auto tab = line.find('\t');
    if (tab == std::string_view::npos || tab == 0) {
      error = where + " is not URL<TAB>ID";
      return std::nullopt;
    }
    std::string_view url = line.substr(0, tab);
    for (auto const& e : entries) {
      if (e.first == url) {
        error = where + " repeats the URL " + std::string(url);
        return std::nullopt;
      }
    }
    entries.emplace_back(url, line.substr(tab + 1));
  }
  return entries;
}

std::optional<state_file> state_file::load(std::string const& path, std::string& error) {
  state_file s;
  s.path_ = path;
  mode_t const mask = ::umask(0);
  ::umask(mask);
  s.mode_ = 0666u & ~static_cast<unsigned>(mask);

  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) {
    error = failure("cannot read the state file", path, errno);
    return std::nullopt;
  }
  if (fd >= 0) {
    std::string text;
    char buffer[65536];
    for (;;) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = failure("cannot read the state file", path, errno);
        ::close(fd);
        return std::nullopt;
      }
      if (n == 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    std::string why;
    auto entries = parse_state(text, why);
    if (!entries) {
      error = "the state file " + path + " is corrupt: " + why +
              " (fix or remove it; a missing file starts afresh)";
      return std::nullopt;
    }
    s.entries_ = std::move(*entries);
  }
  // Fail now rather than after the first event: every save creates a file in this directory.
  std::string const dir = directory_of(path);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    error = failure("cannot write the state file's directory", dir, errno);
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> state_file::id(std::string_view url) const {
  for (auto const& [u, id] : entries_) {
    if (u == url) return id;
  }
  return std::nullopt;
}

std::string state_file::save(std::string_view url, std::string_view id) {
  bool found = false;
  for (auto& [u, kept] : entries_) {
    if (u != url) continue;
    if (kept == id) return {};
    kept.assign(id);
    found = true;
    break;
  }
  if (!found) {
    if (id.empty()) return {};  // no id is what a missing entry already says
    entries_.emplace_back(url, id);
  }

  std::string const dir = directory_of(path_);
  auto slash = path_.rfind('/');
  std::string temp =
      dir + "/." + path_.substr(slash == std::string::npos ? 0 : slash + 1) + ".XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return failure("cannot write the state file", path_, errno);
  std::string const text = format_state(entries_);
  int err = tools::write_all(fd, text);
  if (err == 0 && ::fchmod(fd, static_cast<mode_t>(mode_)) != 0) err = errno;
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(temp.c_str(), path_.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temp.c_str());
    return failure("cannot write the state file", path_, err);
  }
  // The rename itself is durable only once the directory is.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return failure("cannot sync the directory of the state file", path_, errno);
  err = ::fsync(dfd) != 0 ? errno : 0;
  ::close(dfd);
  if (err != 0) return failure("cannot sync the directory of the state file", path_, err);
  return {};
}

}  // namespace sse::listen
