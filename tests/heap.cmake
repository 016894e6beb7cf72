# Tests of the general heap (src/alloc, include/own/heap.h). See docs/testing.md.
if(NOT "alloc" IN_LIST OWN_LAYERS)
  return()
endif()
file(GLOB own_heap_sources ${PROJECT_SOURCE_DIR}/src/alloc/*.c)
if(NOT own_heap_sources)
  return() # the heap itself is not in this tree
endif()

# Each test program links libown.a (own's malloc replaces the system's inside
# the binary) unless SHARED. -fno-builtin keeps the compiler from folding what
# it believes about malloc (malloc(0) != NULL, malloc(SIZE_MAX) == NULL), so the
# library's answers are what is checked.
function(own_heap_test name)
  cmake_parse_arguments(H "SHARED" "SOURCE;TIMEOUT" "LABELS" ${ARGN})
  if(NOT H_SOURCE)
    set(H_SOURCE ${name}.c)
  endif()
  if(NOT H_TIMEOUT)
    set(H_TIMEOUT 120)
  endif()
  set(shared "")
  if(H_SHARED)
    set(shared SHARED)
  endif()
  own_test(NAME ${name} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/${H_SOURCE} ${shared}
           TIMEOUT ${H_TIMEOUT} LABELS heap ${H_LABELS})
  target_compile_options(${name} PRIVATE -fno-builtin)
endfunction()

own_heap_test(test_heap_api)
own_heap_test(test_heap_api_shared SOURCE test_heap_api.c SHARED)
own_heap_test(test_heap_first_class)
own_heap_test(test_heap_threads LABELS stress TIMEOUT 180)
own_heap_test(test_heap_churn LABELS stress TIMEOUT 180)
own_heap_test(test_heap_fork LABELS stress TIMEOUT 180)
own_heap_test(test_heap_release LABELS stress TIMEOUT 120)
own_heap_test(test_heap_foreign)

# Real programs under LD_PRELOAD=libown.so: same stdout and exit code as
# without. Exit code 77 means the program is not installed (skipped).
foreach(prog python sqlite git perl gcc)
  add_test(NAME heap_preload_${prog}
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/preload/run.sh $<TARGET_FILE:own> ${prog})
  set_tests_properties(heap_preload_${prog} PROPERTIES
    SKIP_RETURN_CODE 77 TIMEOUT 180 LABELS "heap;preload")
endforeach()

# With OWN_VALGRIND=ON the heap tells memcheck about its blocks: the
# first-class heap test (small, and it walks every path: remote frees, visit,
# destroy) must then run clean under memcheck. nouserintercepts: the program
# links libown.a, whose malloc memcheck must leave alone.
if(OWN_VALGRIND)
  find_program(OWN_HEAP_VALGRIND valgrind)
  if(OWN_HEAP_VALGRIND)
    add_test(NAME test_heap_first_class_valgrind
             COMMAND ${OWN_HEAP_VALGRIND} -q --soname-synonyms=somalloc=nouserintercepts
                     --error-exitcode=1 $<TARGET_FILE:test_heap_first_class>)
    set_tests_properties(test_heap_first_class_valgrind PROPERTIES
      TIMEOUT 600 LABELS "heap;valgrind")
    add_test(NAME test_heap_foreign_valgrind
             COMMAND ${OWN_HEAP_VALGRIND} -q --soname-synonyms=somalloc=nouserintercepts
                     --error-exitcode=1 $<TARGET_FILE:test_heap_foreign>)
    set_tests_properties(test_heap_foreign_valgrind PROPERTIES
      TIMEOUT 600 LABELS "heap;valgrind")
  endif()
endif()
