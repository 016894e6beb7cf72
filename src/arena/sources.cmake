# The arena builds freestanding: an embedded user compiles src/arena/*.c alone
# (no libc, no OS). Inside libown (OWN_WITH_CORE) it also reports misuse
# through own_report, and, when the general heap is built (OWN_WITH_HEAP), a
# chunked arena given a NULL parent takes its chunks from own's heap.
file(GLOB _own_arena_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/arena/*.c)
set(_own_arena_defs OWN_WITH_CORE=1)
if("alloc" IN_LIST OWN_LAYERS)
  list(APPEND _own_arena_defs OWN_WITH_HEAP=1)
endif()
set_source_files_properties(${_own_arena_sources} PROPERTIES
  COMPILE_OPTIONS "-ffreestanding"
  COMPILE_DEFINITIONS "${_own_arena_defs}")
