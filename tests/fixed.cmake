# Tests of the fixed heap (src/fixed). The same test sources also build
# without libown, freestanding library files compiled straight in, by
# scripts/embedded-check.sh (-m32).
if(NOT "fixed" IN_LIST OWN_LAYERS)
  return()
endif()

own_test(NAME test_fixed SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fixed.c
         DEFINES OWN_FIXED_TEST_REPORT=1 LABELS fixed)
own_test(NAME test_fixed_random SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fixed_random.c
         LABELS fixed TIMEOUT 120)
own_test(NAME test_fixed_bound SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fixed_bound.c
         LABELS fixed TIMEOUT 120)
