#include <cstring>
#include <sse/parser.hpp>

#include "utf8.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Functions on the per-line path are inlined into feed(): a call per line costs more than the
// work for a short line.
#define SSE_HOT inline __attribute__((always_inline))

namespace sse {
namespace {

constexpr unsigned char byte_order_mark[3] = {0xEF, 0xBB, 0xBF};

// The first CR or LF in [p, end), or end. Sets non_ascii when a byte before it has its high bit
// set: only such lines need UTF-8 validation, so ASCII streams are scanned exactly once. Inlined
// into feed(): most lines end within their first 16 bytes or a few blocks more, where a call would
// cost as much as the search. A long line goes 32 bytes a round.
SSE_HOT char const* find_line_end(char const* p, char const* end, bool& non_ascii) noexcept {
#if defined(__SSE2__)
  __m128i const cr = _mm_set1_epi8('\r');
  __m128i const lf = _mm_set1_epi8('\n');
  auto const line_ends = [&](__m128i v) {
    return _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf));
  };
  // One block: the line end in it (true), or its high bits noted and p past it (false).
  auto const block = [&](char const*& q) {
    __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(q));
    auto const eol = static_cast<unsigned>(_mm_movemask_epi8(line_ends(v)));
    auto const high = static_cast<unsigned>(_mm_movemask_epi8(v));
    if (eol != 0) {
      unsigned const k = static_cast<unsigned>(__builtin_ctz(eol));
      if ((high & ((1u << k) - 1)) != 0) non_ascii = true;
      q += k;
      return true;
    }
    if (high != 0) non_ascii = true;
    q += 16;
    return false;
  };
  if (end - p >= 16 && block(p)) return p;
  // Two blocks a round with their high bits gathered; the round with a line end in it is looked at
  // again block by block.
  __m128i high = _mm_setzero_si128();
  while (end - p >= 32) {
    __m128i const v0 = _mm_loadu_si128(reinterpret_cast<__m128i const*>(p));
    __m128i const v1 = _mm_loadu_si128(reinterpret_cast<__m128i const*>(p + 16));
    if (_mm_movemask_epi8(_mm_or_si128(line_ends(v0), line_ends(v1))) != 0) break;
    high = _mm_or_si128(high, _mm_or_si128(v0, v1));
    p += 32;
  }
  if (_mm_movemask_epi8(high) != 0) non_ascii = true;
  while (end - p >= 16) {
    if (block(p)) return p;
  }
#endif
  for (; p != end; ++p) {
    char const c = *p;
    if (c == '\n' || c == '\r') return p;
    if ((static_cast<unsigned char>(c) & 0x80) != 0) non_ascii = true;
  }
  return end;
}

bool all_ascii_digits(std::string_view v) noexcept {
  if (v.empty()) return false;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::uint64_t parse_decimal_saturating(std::string_view v) noexcept {
  constexpr std::uint64_t max = ~std::uint64_t{0};
  std::uint64_t n = 0;
  for (char c : v) {
    auto const digit = static_cast<std::uint64_t>(c - '0');
    if (n > (max - digit) / 10) return max;
    n = n * 10 + digit;
  }
  return n;
}

bool equals(std::string_view a, char const (&lit)[5]) noexcept {
  return std::memcmp(a.data(), lit, 4) == 0;
}

// What kind of line the event stream format sees, and its value: the text after the field name's
// colon (one leading space stripped), empty for a field name alone, the text after ':' for a
// comment. The line ends are not part of the line.
enum class line_kind : unsigned char { blank, comment, data, event, id, retry, other };

struct classified_line {
  line_kind kind;
  std::string_view value;
};

SSE_HOT classified_line classify(char const* line, std::size_t size) noexcept {
  auto const strip_space = [](std::string_view v) {
    if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return v;
  };
  if (size >= 5 && std::memcmp(line, "data:", 5) == 0) {  // the common case, tested first
    return {line_kind::data, strip_space(std::string_view(line + 5, size - 5))};
  }
  if (size == 0) return {line_kind::blank, {}};
  if (line[0] == ':') return {line_kind::comment, std::string_view(line + 1, size - 1)};
  std::string_view name;
  std::string_view value(line + size, 0);  // never a null view, even when empty
  if (auto const* colon = static_cast<char const*>(std::memchr(line, ':', size))) {
    name = std::string_view(line, static_cast<std::size_t>(colon - line));
    value = std::string_view(colon + 1, size - name.size() - 1);
  } else {
    name = std::string_view(line, size);  // a field name alone: its value is the empty string
  }
  value = strip_space(value);

  line_kind kind = line_kind::other;  // unknown fields are ignored
  switch (name.size()) {
    case 4:
      if (equals(name, "data")) kind = line_kind::data;
      break;
    case 5:
      if (std::memcmp(name.data(), "event", 5) == 0) {
        kind = line_kind::event;
      } else if (std::memcmp(name.data(), "retry", 5) == 0) {
        kind = line_kind::retry;
      }
      break;
    case 2:
      if (name[0] == 'i' && name[1] == 'd') kind = line_kind::id;
      break;
    default:
      break;
  }
  return {kind, value};
}

class collector final : public handler {
 public:
  explicit collector(std::vector<owned_event>& out) : out_(out) {}
  action on_event(event_view const& ev) override {
    out_.push_back(owned_event{std::string(ev.type), std::string(ev.data), std::string(ev.id)});
    return action::proceed;
  }

 private:
  std::vector<owned_event>& out_;
};

}  // namespace

handler::~handler() = default;
void handler::on_retry(std::uint64_t) {}
void handler::on_comment(std::string_view) {}

char const* to_string(parse_error e) noexcept {
  switch (e) {
    case parse_error::none:
      return "no error";
    case parse_error::event_too_large:
      return "line or event larger than the maximum event size";
  }
  return "unknown parse error";
}

// The parser's whole state. It lives here, not in the header, so that it can change without
// changing libsse's ABI.
struct parser::impl {
  enum class storage : unsigned char { chunk, held, transient };

  impl(handler& h, parser_options const& options) : handler_(&h), options_(options) {}

  std::size_t feed(std::string_view chunk);
  char const* skip_bom(char const* p, char const* end);
  char const* complete_partial_line(char const* p, char const* end);
  std::size_t finish();
  void reset();
  void set_last_event_id(std::string_view id);

  bool take(char const* line, std::size_t size, bool non_ascii, storage where, bool blank_next);
  bool too_large(char const* line, bool in_chunk);
  char const* after_line_end(char const* eol, char const* end) noexcept;
  action end_block();
  action emit(std::string_view data);
  void take_over_id();
  bool data_fits(std::size_t size) const noexcept;
  void add_data(std::string_view value, storage where);
  std::string_view decode(std::string_view value, bool non_ascii, storage& where);
  bool buffer_partial(char const* p, std::size_t n, bool non_ascii, std::uint64_t at);
  void fail(parse_error e, std::uint64_t at);
  void spill_chunk_views();

  handler* handler_;
  parser_options options_;

  std::string line_;       // a partial line carried across chunks (raw bytes)
  std::string held_;       // a completed partial line whose data value is still viewed (see data_)
  std::string data_;       // storage for the data buffer once it is copied (see data_view_)
  std::string type_;       // storage for the event type buffer once it is copied
  std::string id_buffer_;  // the last event ID buffer
  std::string last_event_id_;  // the event source's last event ID string
  std::string scratch_;        // a value repaired for invalid UTF-8

  // The data buffer (lines joined with LF, no trailing LF) and the event type buffer. The first
  // data line of an event is only viewed where it lies (the caller's chunk or held_) and copied
  // into data_ when a second data line comes or the chunk ends; so is a type inside the current
  // chunk. The usual event, a lone data line right before its blank line, skips the data buffer
  // altogether (see take()).
  std::string_view data_view_;
  std::string_view type_view_;
  storage data_where_ = storage::transient;  // where data_view_ points: chunk, held_, or data_
  bool type_in_chunk_ = false;
  bool has_data_ = false;        // a data field was seen since the last blank line
  bool id_changed_ = false;      // id_buffer_ differs from last_event_id_
  bool own_id_ = false;          // an id field was taken since the last dispatched event
  bool line_non_ascii_ = false;  // line_ holds a byte >= 0x80

  bool skip_lf_ = false;  // the previous chunk ended with CR: a leading LF completes that line end
  unsigned char bom_seen_ = 0;  // bytes of a leading BOM matched so far
  bool bom_done_ = false;
  parse_error error_ = parse_error::none;
  std::uint64_t error_offset_ = 0;
  std::uint64_t offset_ = 0;           // stream bytes consumed before the current feed() call
  char const* chunk_begin_ = nullptr;  // the chunk feed() is working on
  std::uint64_t line_start_ = 0;       // stream offset where line_ began
  std::uint64_t block_start_ = 0;      // stream offset just after the latest blank line
};

void parser::impl::fail(parse_error e, std::uint64_t at) {
  error_ = e;
  error_offset_ = at;
}

// Fails with the stream offset of the line: computed only when an error occurs.
bool parser::impl::too_large(char const* line, bool in_chunk) {
  fail(parse_error::event_too_large,
       in_chunk ? offset_ + static_cast<std::uint64_t>(line - chunk_begin_) : line_start_);
  return true;
}

SSE_HOT char const* parser::impl::after_line_end(char const* eol, char const* end) noexcept {
  if (*eol == '\n') return eol + 1;
  if (eol + 1 != end) return eol[1] == '\n' ? eol + 2 : eol + 1;
  skip_lf_ = true;  // a CR ends the chunk: an LF starting the next one belongs to this line end
  return end;
}

bool parser::impl::buffer_partial(char const* p, std::size_t n, bool non_ascii, std::uint64_t at) {
  if (line_.empty()) line_start_ = at;
  if (options_.max_event_size != 0 && line_.size() + n > options_.max_event_size) {
    fail(parse_error::event_too_large, line_start_);
    return false;
  }
  line_.append(p, n);
  line_non_ascii_ = line_non_ascii_ || non_ascii;
  return true;
}

SSE_HOT std::string_view parser::impl::decode(std::string_view value, bool non_ascii,
                                              storage& where) {
  if (!non_ascii || detail::valid_utf8(value.data(), value.size())) return value;
  scratch_.clear();
  detail::append_repaired_utf8(scratch_, value.data(), value.size());
  where = storage::transient;
  return scratch_;
}

// Takes one line, blank or not, wherever it lies: the one place where each kind of line has its
// effect. blank_next says that a blank line follows at once in the same chunk: it is taken too, and
// a lone data line before it (the shape of most events) then goes to the handler as the event's
// data straight from where it lies, without passing through the data buffer. Returns true when
// feed() must return: on an error, or when the handler asked to stop.
SSE_HOT bool parser::impl::take(char const* line, std::size_t size, bool non_ascii, storage where,
                                bool blank_next) {
  bool const in_chunk = where == storage::chunk;
  classified_line const l = classify(line, size);
  std::string_view value = l.value;
  switch (l.kind) {
    case line_kind::blank:
      return end_block() == action::stop;
    case line_kind::data:
      value = decode(value, non_ascii, where);
      if (blank_next && !has_data_) {
        if (!data_fits(value.size())) return too_large(line, in_chunk);
        return emit(value) == action::stop;
      }
      if (!data_fits(value.size())) return too_large(line, in_chunk);
      add_data(value, where);
      break;
    case line_kind::comment:
      if (options_.comments) handler_->on_comment(decode(value, non_ascii, where));
      break;
    case line_kind::event: {
      value = decode(value, non_ascii, where);
      std::size_t const data_size = has_data_ ? data_view_.size() : 0;
      if (options_.max_event_size != 0 && value.size() + data_size > options_.max_event_size) {
        return too_large(line, in_chunk);
      }
      type_in_chunk_ = where == storage::chunk;
      if (type_in_chunk_) {
        type_view_ = value;
      } else {
        type_.assign(value);
        type_view_ = type_;
      }
      break;
    }
    case line_kind::id:
      if (value.find('\0') == std::string_view::npos) {
        value = decode(value, non_ascii, where);
        id_buffer_.assign(value);
        id_changed_ = true;
        own_id_ = true;
      }
      break;
    case line_kind::retry:
      if (all_ascii_digits(value)) handler_->on_retry(parse_decimal_saturating(value));
      break;
    case line_kind::other:
      break;
  }
  return blank_next && end_block() == action::stop;
}

// Whether a data value of this size can join the event within max_event_size.
SSE_HOT bool parser::impl::data_fits(std::size_t size) const noexcept {
  std::size_t const limit = options_.max_event_size;
  std::size_t const current = has_data_ ? data_view_.size() + 1 : 0;
  return limit == 0 || current + size + type_view_.size() <= limit;
}

SSE_HOT void parser::impl::add_data(std::string_view value, storage where) {
  if (!has_data_) {  // the first data line of an event: usually only viewed where it lies
    has_data_ = true;
    data_where_ = where;
    if (where == storage::transient) {
      data_.assign(value);
      data_view_ = data_;
    } else {
      data_view_ = value;
    }
    return;
  }
  if (data_where_ != storage::transient) {
    data_.assign(data_view_);
    data_where_ = storage::transient;
  }
  data_.push_back('\n');
  data_.append(value);
  data_view_ = data_;
}

SSE_HOT void parser::impl::take_over_id() {
  if (id_changed_) {
    last_event_id_.assign(id_buffer_);
    id_changed_ = false;
  }
}

// A blank line: the block's id becomes the last event ID, and an event with data is dispatched.
SSE_HOT action parser::impl::end_block() {
  if (has_data_) return emit(data_view_);
  take_over_id();
  type_in_chunk_ = false;
  type_view_ = {};
  return action::proceed;
}

SSE_HOT action parser::impl::emit(std::string_view data) {
  take_over_id();
  event_view ev;
  ev.data = data;
  ev.type = type_view_.empty() ? std::string_view("message") : type_view_;
  ev.id = last_event_id_;
  ev.own_id = own_id_;
  // The buffers are reset before the call (ev keeps its views), so nothing is reloaded after it.
  has_data_ = false;
  own_id_ = false;
  data_where_ = storage::transient;
  type_in_chunk_ = false;
  type_view_ = {};
  return handler_->on_event(ev);
}

// Matches a leading BOM, which may come split across chunks. Returns where the stream proper
// starts.
char const* parser::impl::skip_bom(char const* p, char const* end) {
  for (; p != end; ++p) {
    if (static_cast<unsigned char>(*p) != byte_order_mark[bom_seen_]) {
      // Not a BOM after all: the bytes matched so far are the start of the first line.
      bom_done_ = true;
      if (bom_seen_ > 0) {
        buffer_partial(reinterpret_cast<char const*>(byte_order_mark), bom_seen_, true, 0);
      }
      return p;
    }
    if (++bom_seen_ == 3) {
      bom_done_ = true;
      return p + 1;
    }
  }
  return end;
}

// Completes the line carried over from earlier chunks with the start of [p, end) and takes it.
// Returns where the next line starts (end when this one goes on past the chunk), nullptr on error.
char const* parser::impl::complete_partial_line(char const* p, char const* end) {
  bool non_ascii = false;
  char const* const eol = find_line_end(p, end, non_ascii);
  std::uint64_t const at = offset_ + static_cast<std::uint64_t>(p - chunk_begin_);
  if (!buffer_partial(p, static_cast<std::size_t>(eol - p), non_ascii, at)) return nullptr;
  if (eol == end) return end;
  char const* const next = after_line_end(eol, end);
  // Keep the completed line in held_ so that a data value in it can be viewed until dispatch,
  // unless held_ is still lent to the current event's first data line.
  storage where = storage::transient;
  if (data_where_ != storage::held) {
    held_.swap(line_);
    where = storage::held;
  }
  std::string const& line = where == storage::held ? held_ : line_;
  bool const line_non_ascii = line_non_ascii_;
  line_non_ascii_ = false;
  // Never blank (a partial line holds at least one byte), so only an error returns true.
  bool const failed = take(line.data(), line.size(), line_non_ascii, where, false);
  line_.clear();
  return failed ? nullptr : next;
}

std::size_t parser::impl::feed(std::string_view chunk) {
  if (error_ != parse_error::none || chunk.empty()) return 0;
  char const* const begin = chunk.data();
  char const* const end = begin + chunk.size();
  char const* p = begin;
  chunk_begin_ = begin;
  auto const at = [&](char const* q) { return offset_ + static_cast<std::uint64_t>(q - begin); };
  auto const consumed = [&](char const* q) { return static_cast<std::size_t>(q - begin); };

  if (!bom_done_) {
    p = skip_bom(p, end);
    if (p == end) {
      offset_ += chunk.size();
      return chunk.size();
    }
  }

  if (skip_lf_) {
    skip_lf_ = false;
    if (*p == '\n') {
      ++p;
      // A blank line ended with that CR: the next block starts after its LF.
      if (block_start_ == offset_) ++block_start_;
    }
  }

  if (!line_.empty() && p != end) {
    char const* const next = complete_partial_line(p, end);
    if (next == nullptr) return consumed(p);
    p = next;
  }

  char const* block = nullptr;  // just after the latest blank line in this chunk
  while (p != end) {
    bool non_ascii = false;
    char const* const eol = find_line_end(p, end, non_ascii);
    if (eol == end) {
      if (!buffer_partial(p, static_cast<std::size_t>(end - p), non_ascii, at(p)))
        return consumed(p);
      break;
    }
    auto const size = static_cast<std::size_t>(eol - p);
    if (options_.max_event_size != 0 && size > options_.max_event_size) {
      fail(parse_error::event_too_large, at(p));
      return consumed(p);
    }
    char const* const next = after_line_end(eol, end);
    bool const blank_next = size != 0 && next != end && (*next == '\n' || *next == '\r');
    bool const must_return = take(p, size, non_ascii, storage::chunk, blank_next);
    if (must_return && error_ != parse_error::none) return consumed(p);
    if (blank_next) {
      p = after_line_end(next, end);
      block = p;
    } else {
      p = next;
      if (size == 0) block = p;
    }
    if (must_return) {  // the handler asked to stop
      block_start_ = at(block);
      spill_chunk_views();
      offset_ += consumed(p);
      return consumed(p);
    }
  }

  if (block != nullptr) block_start_ = at(block);
  spill_chunk_views();
  offset_ += chunk.size();
  return chunk.size();
}

void parser::impl::spill_chunk_views() {
  if (data_where_ == storage::chunk) {
    data_.assign(data_view_);
    data_view_ = data_;
    data_where_ = storage::transient;
  }
  if (type_in_chunk_) {
    type_.assign(type_view_);
    type_view_ = type_;
    type_in_chunk_ = false;
  }
}

std::size_t parser::impl::finish() {
  std::size_t discarded = 0;
  if (!bom_done_) {
    discarded = bom_seen_;
  } else if (has_data_ || id_changed_ || !line_.empty() || !type_view_.empty()) {
    discarded = static_cast<std::size_t>(offset_ - block_start_);
  }
  reset();
  return discarded;
}

void parser::impl::reset() {
  line_.clear();
  held_.clear();
  data_.clear();
  type_.clear();
  scratch_.clear();
  data_view_ = {};
  type_view_ = {};
  data_where_ = storage::transient;
  type_in_chunk_ = false;
  has_data_ = false;
  id_buffer_.assign(last_event_id_);
  id_changed_ = false;
  own_id_ = false;
  line_non_ascii_ = false;
  skip_lf_ = false;
  bom_seen_ = 0;
  bom_done_ = false;
  error_ = parse_error::none;
  error_offset_ = 0;
  offset_ = 0;
  line_start_ = 0;
  block_start_ = 0;
}

void parser::impl::set_last_event_id(std::string_view id) {
  last_event_id_.assign(id);
  id_buffer_.assign(id);
  own_id_ = false;  // the next event's id comes from the caller, not from the stream
}

parser::parser(handler& h, parser_options const& options)
    : impl_(std::make_unique<impl>(h, options)) {}
parser::~parser() = default;
parser::parser(parser&& other) noexcept = default;
parser& parser::operator=(parser&& other) noexcept = default;

std::size_t parser::feed(std::string_view chunk) {
  return impl_->feed(chunk);
}
std::size_t parser::finish() {
  return impl_->finish();
}
void parser::reset() {
  impl_->reset();
}
std::string_view parser::last_event_id() const noexcept {
  return impl_->last_event_id_;
}
void parser::set_last_event_id(std::string_view id) {
  impl_->set_last_event_id(id);
}
parse_error parser::error() const noexcept {
  return impl_->error_;
}
std::uint64_t parser::error_offset() const noexcept {
  return impl_->error_offset_;
}
std::uint64_t parser::offset() const noexcept {
  return impl_->offset_;
}

std::vector<owned_event> parse_all(std::string_view bytes, parser_options const& options) {
  std::vector<owned_event> events;
  collector c(events);
  parser p(c, options);
  p.feed(bytes);
  p.finish();
  return events;
}

}  // namespace sse
