// --state-file: the text format (and every way it can be corrupt), loading, and the atomic save.
#include "state_file.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sse::listen {
namespace {

class temp_dir {
 public:
  temp_dir() {
    char name[] = "/tmp/sse-state-test-XXXXXX";
    EXPECT_NE(::mkdtemp(name), nullptr);
    path_ = name;
  }
  ~temp_dir() {
    for (auto const& f : files()) std::remove((path_ + "/" + f).c_str());
    ::rmdir(path_.c_str());
  }
  std::string const& path() const { return path_; }
  std::string file(std::string const& name) const { return path_ + "/" + name; }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(path_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
      }
      ::closedir(d);
    }
    return out;
  }

 private:
  std::string path_;
};

std::string read(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(std::string const& path, std::string const& text) {
  std::ofstream(path, std::ios::binary) << text;
}

ino_t inode(std::string const& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_ino;
}

TEST(state_file, the_format_round_trips) {
  state_entries entries = {
      {"http://a/events", "41"}, {"https://b/x?y=1", "id with\ttab"}, {"http://c/", ""}};
  std::string const text = format_state(entries);
  EXPECT_EQ(text,
            "# sse-listen state file: URL<TAB>last event id, one per line\n"
            "http://a/events\t41\n"
            "https://b/x?y=1\tid with\ttab\n"
            "http://c/\t\n");
  std::string error;
  auto back = parse_state(text, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(*back, entries);
}

TEST(state_file, comments_blank_lines_and_an_empty_file_are_fine) {
  std::string error;
  auto empty = parse_state("", error);
  ASSERT_TRUE(empty) << error;
  EXPECT_TRUE(empty->empty());
  auto commented = parse_state("# mine\n\nhttp://a/\t7\n# more\n", error);
  ASSERT_TRUE(commented) << error;
  EXPECT_EQ(*commented, (state_entries{{"http://a/", "7"}}));
}

TEST(state_file, every_corruption_is_named_with_its_line) {
  struct bad {
    std::string text;
    std::string says;
  };
  std::vector<bad> cases = {
      {"http://a/\t1\nhttp://b/\t2", "line 2 does not end (the file is cut short)"},
      {"http://a/ 1\n", "line 1 is not URL<TAB>ID"},
      {"\t1\n", "line 1 is not URL<TAB>ID"},
      {"# ok\nhttp://a/\t1\r\n", "line 2 holds a NUL or CR"},
      {std::string("http://a/\t1\0\n", 13), "line 1 holds a NUL or CR"},
      {"http://a/\t1\nhttp://a/\t2\n", "line 2 repeats the URL http://a/"},
      {"\x1f\x8b\x08\x00garbage", "line 1 does not end (the file is cut short)"},
  };
  for (auto const& c : cases) {
    std::string error;
    EXPECT_FALSE(parse_state(c.text, error)) << c.says;
    EXPECT_EQ(error, c.says);
  }
}

TEST(state_file, a_missing_file_is_a_fresh_start) {
  temp_dir dir;
  std::string error;
  auto s = state_file::load(dir.file("state"), error);
  ASSERT_TRUE(s) << error;
  EXPECT_FALSE(s->id("http://a/"));
  EXPECT_TRUE(dir.files().empty()) << "loading creates nothing";
}

TEST(state_file, a_corrupt_file_is_an_error_that_names_the_path) {
  temp_dir dir;
  write(dir.file("state"), "not a state file");
  std::string error;
  EXPECT_FALSE(state_file::load(dir.file("state"), error));
  EXPECT_EQ(error, "the state file " + dir.file("state") +
                       " is corrupt: line 1 does not end (the file is cut short) (fix or remove "
                       "it; a missing file starts afresh)");
}

TEST(state_file, an_unreadable_file_is_an_error_that_names_the_path) {
  temp_dir dir;
  ASSERT_EQ(::mkdir(dir.file("state").c_str(), 0700), 0);
  std::string error;
  EXPECT_FALSE(state_file::load(dir.file("state"), error));
  EXPECT_EQ(error, "cannot read the state file " + dir.file("state") + ": Is a directory");
  ::rmdir(dir.file("state").c_str());
}

TEST(state_file, a_file_in_a_missing_directory_is_an_error_at_load) {
  temp_dir dir;
  std::string error;
  EXPECT_FALSE(state_file::load(dir.file("nowhere/state"), error));
  EXPECT_EQ(error, "cannot write the state file's directory " + dir.file("nowhere") +
                       ": No such file or directory");
}

TEST(state_file, save_replaces_the_file_and_keeps_other_urls) {
  temp_dir dir;
  std::string const path = dir.file("state");
  write(path, "# edited by hand\nhttp://other/\t99\nhttp://a/\t1\n");
  std::string error;
  auto s = state_file::load(path, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->id("http://a/"), "1");
  EXPECT_EQ(s->id("http://other/"), "99");

  ino_t const before = inode(path);
  EXPECT_EQ(s->save("http://a/", "2"), "");
  EXPECT_EQ(read(path), format_state({{"http://other/", "99"}, {"http://a/", "2"}}));
  // A new file renamed over the old one, never the old one rewritten in place.
  EXPECT_NE(inode(path), before);
  EXPECT_EQ(s->save("http://b/", "x"), "");
  EXPECT_EQ(read(path),
            format_state({{"http://other/", "99"}, {"http://a/", "2"}, {"http://b/", "x"}}));
  // No temporary file is left behind.
  EXPECT_EQ(dir.files(), std::vector<std::string>{"state"});
}

TEST(state_file, an_unchanged_id_is_not_written_again) {
  temp_dir dir;
  std::string const path = dir.file("state");
  std::string error;
  auto s = state_file::load(path, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->save("http://a/", ""), "");
  EXPECT_TRUE(dir.files().empty()) << "no id yet: nothing to keep";
  EXPECT_EQ(s->save("http://a/", "5"), "");
  ino_t const written = inode(path);
  EXPECT_EQ(s->save("http://a/", "5"), "");
  EXPECT_EQ(inode(path), written);
  // A reset id (an empty id: field) is kept, so the next run sends no Last-Event-ID.
  EXPECT_EQ(s->save("http://a/", ""), "");
  EXPECT_EQ(read(path), format_state({{"http://a/", ""}}));
}

TEST(state_file, the_file_gets_the_mode_of_a_new_file_under_the_umask) {
  temp_dir dir;
  mode_t const old = ::umask(027);
  std::string error;
  auto s = state_file::load(dir.file("state"), error);
  ::umask(old);
  ASSERT_TRUE(s) << error;
  ASSERT_EQ(s->save("http://a/", "1"), "");
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(state_file, a_save_that_cannot_write_says_so_with_the_path) {
  temp_dir dir;
  std::string const path = dir.file("sub/state");
  ASSERT_EQ(::mkdir(dir.file("sub").c_str(), 0700), 0);
  std::string error;
  auto s = state_file::load(path, error);
  ASSERT_TRUE(s) << error;
  ::rmdir(dir.file("sub").c_str());  // the directory goes away under the run
  EXPECT_EQ(s->save("http://a/", "1"),
            "cannot write the state file " + path + ": No such file or directory");
}

}  // namespace
}  // namespace sse::listen
