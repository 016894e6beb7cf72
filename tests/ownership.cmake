# Tests of the ownership layer: Box, Rc, Arc, Weak, cells, scope-bound drop,
# the compile-time checks (tests/compile_fail, tests/compile_pass) and the
# examples' output. Each unit test runs twice when valgrind is found: plain,
# and under valgrind with definite leaks as errors.
if(NOT "ownership" IN_LIST OWN_LAYERS)
  return()
endif()

set(own_ownership_extra "")
set(own_ownership_defines "")
if(NOT "alloc" IN_LIST OWN_LAYERS)
  # No general heap in this build: tests use their own allocators only.
  list(APPEND own_ownership_extra ${CMAKE_CURRENT_SOURCE_DIR}/test_ownership_noheap.c)
  list(APPEND own_ownership_defines OWN_TEST_NO_HEAP=1)
endif()

find_program(OWN_VALGRIND_PROGRAM valgrind)

foreach(t box rc arc cell scope)
  own_test(NAME test_${t}
           SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_${t}.c ${own_ownership_extra}
           LIBS Threads::Threads
           DEFINES ${own_ownership_defines}
           LABELS ownership)
  if(OWN_VALGRIND_PROGRAM)
    # somalloc=nouserintercepts: the test program links libown.a, whose
    # malloc-family names (OWN_OVERRIDE) valgrind would otherwise redirect one
    # by one (free but not own's allocation paths), mixing two heaps. The
    # tests' counting allocator uses libc's allocator, which valgrind tracks.
    add_test(NAME test_${t}_valgrind
             COMMAND ${OWN_VALGRIND_PROGRAM} -q --soname-synonyms=somalloc=nouserintercepts
                     --leak-check=full --show-leak-kinds=definite
                     --errors-for-leak-kinds=definite --error-exitcode=1
                     $<TARGET_FILE:test_${t}>)
    set_tests_properties(test_${t}_valgrind PROPERTIES TIMEOUT 600 LABELS "ownership;valgrind")
  endif()
endforeach()

# Compile-time checks: each tests/compile_fail/*.c must be rejected by
# gcc -fanalyzer -Werror with the diagnostic named in its "expect:" comment,
# each tests/compile_pass/*.c must compile clean.
find_program(OWN_GCC_PROGRAM NAMES gcc-12 gcc)
if(OWN_GCC_PROGRAM)
  add_test(NAME ownership_compile_checks
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/run.sh
                   ${OWN_GCC_PROGRAM} ${PROJECT_SOURCE_DIR}/include)
  set_tests_properties(ownership_compile_checks PROPERTIES TIMEOUT 600 LABELS ownership)
endif()

# The examples of the ownership layer run and say what they should.
if(TARGET example_box_stack_and_heap)
  add_test(NAME ownership_example_box_stack_and_heap COMMAND example_box_stack_and_heap)
  set_tests_properties(ownership_example_box_stack_and_heap PROPERTIES LABELS ownership
    PASS_REGULAR_EXPRESSION "drop: Box\\(7\\) at 0x[0-9a-f]+ freed as stack_and_heap's frame goes\n stack_only: back")
  add_test(NAME ownership_example_raii_file COMMAND example_raii_file
           ${CMAKE_CURRENT_BINARY_DIR}/raii_file_example.txt)
  set_tests_properties(ownership_example_raii_file PROPERTIES LABELS ownership
    PASS_REGULAR_EXPRESSION "closed .*raii_file_example.txt after 3 lines\nclosed .*after 3 lines\n\\(the scope drop that follows does nothing\\)\nwrote 3 lines, read 3 lines")
endif()
