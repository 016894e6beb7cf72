# Tests of the collections layer: own_vec and own_str (own/vec.h, own/str.h).
if(NOT "collections" IN_LIST OWN_LAYERS)
  return()
endif()

# With the general heap built, the tests also exercise the default allocator
# on it; without it, they supply libc-backed stand-ins for its functions.
set(own_collections_defines "")
if("alloc" IN_LIST OWN_LAYERS)
  list(APPEND own_collections_defines OWN_TEST_HAVE_HEAP=1)
endif()

own_test(NAME test_vec SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_vec.c
         DEFINES ${own_collections_defines} LABELS collections)
own_test(NAME test_str SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_str.c
         DEFINES ${own_collections_defines} LABELS collections)

# The typed vec API's compile-time checks: test_vec.c built with
# -DOWN_VEC_COMPILE_CASE=n is a program that must compile (n = 0, with
# -Werror) or must be rejected with the given diagnostic. Cases 1-7 and 9 are
# rejected without -Werror (hard errors); case 8 is the compiler's
# incompatible-pointer diagnostic, an error under -Werror.
set(own_vec_compile_cases
  "1|wrong kind"
  "2|wrong kind|incompatible type"
  "3|wrong kind"
  "4|wrong kind"
  "5|out must be a pointer to the element type"
  "6|source must be an array of the element type"
  "7|incompatible pointer"
  "8|incompatible pointer"
  "9|wrong kind|incompatible type|invalid initializer")
set(own_vec_compile_cmd ${CMAKE_C_COMPILER} -std=c11 -fsyntax-only
    -I${PROJECT_SOURCE_DIR}/include -I${CMAKE_CURRENT_SOURCE_DIR} -D_GNU_SOURCE)
add_test(NAME test_vec_typecheck_0
         COMMAND ${own_vec_compile_cmd} -Wall -Wextra -Wpedantic -Werror
                 -DOWN_VEC_COMPILE_CASE=0 ${CMAKE_CURRENT_SOURCE_DIR}/test_vec.c)
set_tests_properties(test_vec_typecheck_0 PROPERTIES LABELS collections)
foreach(entry IN LISTS own_vec_compile_cases)
  string(REPLACE "|" ";" parts "${entry}")
  list(POP_FRONT parts n)
  list(JOIN parts "|" regex)
  set(extra "")
  if(n EQUAL 7 OR n EQUAL 8)
    set(extra -Werror)
  endif()
  add_test(NAME test_vec_typecheck_${n}
           COMMAND sh -c "\"$@\" || exit 1; echo UNEXPECTEDLY-COMPILED" sh
                   ${own_vec_compile_cmd} ${extra} -DOWN_VEC_COMPILE_CASE=${n}
                   ${CMAKE_CURRENT_SOURCE_DIR}/test_vec.c)
  # Passes when the compiler refuses the program (a non-zero exit) with the
  # expected diagnostic: a static assertion, a constraint violation, or a
  # warning made an error by -Werror.
  set_tests_properties(test_vec_typecheck_${n} PROPERTIES
    PASS_REGULAR_EXPRESSION "${regex}" FAIL_REGULAR_EXPRESSION "UNEXPECTEDLY-COMPILED"
    LABELS collections)
endforeach()
