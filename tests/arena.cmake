if(NOT "arena" IN_LIST OWN_LAYERS)
  return()
endif()

# test_arena also uses a pool as an arena's parent, and own's heap as the
# default parent when the heap is built.
if("pool" IN_LIST OWN_LAYERS)
  set(_own_arena_test_defs "")
  if("alloc" IN_LIST OWN_LAYERS)
    set(_own_arena_test_defs OWN_TEST_HAVE_HEAP=1)
  endif()
  own_test(NAME test_arena SOURCES test_arena.c DEFINES ${_own_arena_test_defs})
endif()
