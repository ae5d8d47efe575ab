// --state-file: the last event id of each URL, kept across runs, so that a run started again (after
// a crash, a reboot, a SIGKILL) resumes with Last-Event-ID where the last one left off. The file is
// text a person can read and edit: a comment line, then one "URL<TAB>ID" line per URL. It is never
// rewritten in place: each save writes a temporary file in the same directory, fsyncs it, renames
// it over the old one and fsyncs the directory, so a crash leaves the old file or the new one.
#ifndef SSE_LISTEN_STATE_FILE_HPP
#define SSE_LISTEN_STATE_FILE_HPP

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sse::listen {

// URL and last event id, in file order. Entries for URLs not followed by this run are kept.
using state_entries = std::vector<std::pair<std::string, std::string>>;

// The text of a state file.
std::string format_state(state_entries const& entries);

// Parses the text of a state file. A malformed text (a line without a tab, a last line without its
// newline, a NUL or CR, a URL twice) gives nullopt and error says what and on which line.
std::optional<state_entries> parse_state(std::string_view text, std::string& error);

class state_file {
 public:
  // Reads path. A missing file is a fresh start (no ids); an unreadable or malformed one, or a
  // directory where the file cannot be written, gives nullopt and error names the path.
  static std::optional<state_file> load(std::string const& path, std::string& error);

  // The id kept for url, or nullopt.
  std::optional<std::string> id(std::string_view url) const;

  // Keeps id for url and, when that changes the file, writes it (atomically). Returns "" or what
  // went wrong, with the path.
  std::string save(std::string_view url, std::string_view id);

  std::string const& path() const noexcept { return path_; }

 private:
  std::string path_;
  state_entries entries_;
  unsigned mode_ = 0644;  // what a new file gets under the umask
};

}  // namespace sse::listen

#endif
