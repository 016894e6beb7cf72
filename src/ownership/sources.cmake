# Box's heap form (src/ownership/box.c) calls own_malloc / own_free, which
# exist only when the alloc layer is built; without it, boxes of the default
# allocator take the general form through own_alloc (a stub in such builds).
if(NOT "alloc" IN_LIST OWN_LAYERS)
  set_property(SOURCE ${CMAKE_CURRENT_LIST_DIR}/box.c APPEND PROPERTY
               COMPILE_DEFINITIONS OWN_BOX_NO_HEAP=1)
endif()
