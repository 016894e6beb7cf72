# The fixed heap builds freestanding (no libc, no OS) even inside libown, so
# what the tests exercise is what an embedded user compiles. Inside libown it
# reports invalid frees through own_report (own/core.h); freestanding builds
# leave OWN_FIXED_REPORT undefined and only count them.
file(GLOB own_fixed_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
set_source_files_properties(${own_fixed_sources} TARGET_DIRECTORY own_objects PROPERTIES
  COMPILE_OPTIONS "-ffreestanding"
  COMPILE_DEFINITIONS "OWN_FIXED_REPORT=1")
