# The pool builds freestanding: an embedded user compiles src/pool/*.c alone
# (no libc, no OS). Inside libown (OWN_WITH_CORE) it also reports misuse
# through own_report.
file(GLOB _own_pool_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/pool/*.c)
set_source_files_properties(${_own_pool_sources} PROPERTIES
  COMPILE_OPTIONS "-ffreestanding"
  COMPILE_DEFINITIONS "OWN_WITH_CORE=1")
