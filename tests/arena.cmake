if(NOT "arena" IN_LIST OWN_LAYERS)
  return()
endif()

# test_arena also uses a pool as an arena's parent.
if("pool" IN_LIST OWN_LAYERS)
  own_test(NAME test_arena SOURCES test_arena.c)
endif()
