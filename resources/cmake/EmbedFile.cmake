# cmake -DINPUT=file -DOUTPUT=file.cpp -DSYMBOL=name -DNAMESPACE=ns -P EmbedFile.cmake
# Writes a C++ source that defines `std::string_view ns::name()` returning the file's bytes.
# Binary-safe (hex bytes), so any file can be embedded into plain C++ without Qt's rcc.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hexLength)
math(EXPR size "${hexLength} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
# Break the initializer into lines of 32 bytes to keep compilers and diffs happy.
string(REGEX REPLACE "(('[^']+',){32})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by EmbedFile.cmake. Do not edit.
#include <string_view>
namespace ${NAMESPACE} {
namespace {
constexpr char kData[${size} + 1] = {
${bytes} '\\0'};
}  // namespace
std::string_view ${SYMBOL}() { return {kData, ${size}}; }
}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
