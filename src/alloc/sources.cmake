# Box's entries into the heap (box_entry.c: _own_box_alloc, own_box_drop's
# fast path, which hands every other case to the ownership layer) exist for
# the ownership layer's Box; a build without that layer leaves them out.
if(NOT "ownership" IN_LIST OWN_LAYERS)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/box_entry.c PROPERTIES HEADER_FILE_ONLY ON)
endif()
