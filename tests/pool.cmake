if(NOT "pool" IN_LIST OWN_LAYERS)
  return()
endif()

own_test(NAME test_pool SOURCES test_pool.c)
