/* base/base.h: everything the base room offers (errors, files, YAML, RNG). */
#ifndef ES_BASE_H
#define ES_BASE_H
#include "err.h"
#include "io.h"
#include "rng.h"
#include "yaml.h"
#endif
