/* core/options.h — own's options (own/heap.h lists them): one value per
 * option, read from the environment once, cheap to query on any path. */
#ifndef OWN_CORE_OPTIONS_H
#define OWN_CORE_OPTIONS_H

#include "own/heap.h"

extern long _own_options[OWN_OPT_COUNT_];
void _own_options_init(void);

static inline long _own_option(own_option_t o) { return _own_options[o]; }

#endif
