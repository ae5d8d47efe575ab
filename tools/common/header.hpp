// HTTP header fields given on the command line as "Name: value" (sse-listen's -H, sse-serve's
// --header): one rule for both, so neither tool can send a header that splits the message head.
#ifndef SSE_TOOLS_HEADER_HPP
#define SSE_TOOLS_HEADER_HPP

#include <string>
#include <string_view>

namespace sse::tools {

// "" when h is NAME ":" VALUE with NAME an RFC 9110 token (letters, digits and
// !#$%&'*+-.^_`|~) and VALUE free of CR, LF and NUL; otherwise what is wrong, quoting h (its
// control characters escaped). Usable as a CLI11 validator.
std::string check_header(std::string_view h);

// The name of a "Name: value" header: what precedes the first colon, without surrounding blanks.
std::string_view header_name(std::string_view h);

// True when name is a non-empty RFC 9110 token.
bool is_token(std::string_view name);

// s without RFC 9110 optional whitespace (SP and HTAB) at either end.
std::string_view trim_ows(std::string_view s);

// A header line (or value) as libcurl hands it: without optional whitespace at either end and
// without the CR LF that ends it.
std::string_view trim_header_line(std::string_view s);

// ASCII case-insensitive equality, as HTTP compares field names, schemes and media types.
bool iequals(std::string_view a, std::string_view b);

}  // namespace sse::tools

#endif
