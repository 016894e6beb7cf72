# Tests of the stack layer (own/stack.h): guarded stacks, overflow reports,
# on-demand growth, measurement.
if(NOT "stack" IN_LIST OWN_LAYERS)
  return()
endif()

include(CheckCCompilerFlag)
check_c_compiler_flag(-fstack-clash-protection OWN_HAVE_STACK_CLASH)

# Guarded stacks and overflow reports. -rdynamic lets the backtrace name the
# test's functions; -fstack-clash-protection makes its one large frame probe
# page by page, into the guard.
own_test(NAME test_stack SOURCES test_stack.c LABELS stack)
target_link_options(test_stack PRIVATE -rdynamic)
if("alloc" IN_LIST OWN_LAYERS)
  target_compile_definitions(test_stack PRIVATE OWN_TEST_HAVE_HEAP=1)
endif()
if(OWN_HAVE_STACK_CLASH)
  target_compile_options(test_stack PRIVATE -fstack-clash-protection)
endif()

# On-demand growth: ten million levels on the main thread, nested segments,
# the segment cache, growth on other threads.
own_test(NAME test_stack_grow SOURCES test_stack_grow.c LABELS stack)
if(OWN_HAVE_STACK_CLASH)
  target_compile_options(test_stack_grow PRIVATE -fstack-clash-protection)
endif()

# The same growth test under valgrind, with fewer levels (still far beyond
# the 8 MiB main stack).
find_program(OWN_VALGRIND_EXE valgrind)
if(OWN_VALGRIND_EXE)
  add_test(NAME test_stack_grow_valgrind
           COMMAND ${OWN_VALGRIND_EXE} --error-exitcode=1 --quiet
                   $<TARGET_FILE:test_stack_grow> 200000)
  set_tests_properties(test_stack_grow_valgrind PROPERTIES TIMEOUT 600 LABELS "stack;valgrind")
else()
  message(STATUS "valgrind not found: test_stack_grow_valgrind is skipped")
  add_test(NAME test_stack_grow_valgrind
           COMMAND ${CMAKE_COMMAND} -E echo "valgrind not found: skipped")
  set_tests_properties(test_stack_grow_valgrind PROPERTIES SKIP_REGULAR_EXPRESSION "skipped"
                       LABELS "stack;valgrind")
endif()

# The same tests against libown.so: the pthread_create wrapper must also
# interpose from a shared library. libown.so links only when the heap is in
# the build (core's allocator refers to it).
if(NOT "alloc" IN_LIST OWN_LAYERS)
  return()
endif()
own_test(NAME test_stack_shared SOURCES test_stack.c SHARED LABELS stack DEFINES OWN_TEST_SHARED)
target_link_options(test_stack_shared PRIVATE -rdynamic)
if(OWN_HAVE_STACK_CLASH)
  target_compile_options(test_stack_shared PRIVATE -fstack-clash-protection)
endif()
