# Turns page/index.html into a C++ source holding its bytes: cmake -DINPUT=... -DOUTPUT=... -P embed.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by page/embed.cmake; edit the HTML, not this file.\n"
  "#include <cstddef>\n"
  "namespace sse::serve {\n"
  "extern unsigned char const page_html[];\n"
  "extern std::size_t const page_html_size;\n"
  "unsigned char const page_html[] = {\n${bytes}0};\n"
  "std::size_t const page_html_size = ${size};\n"
  "}  // namespace sse::serve\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
