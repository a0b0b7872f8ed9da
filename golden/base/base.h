/* base/base.h: everything the base room offers (errors, files, JSON, YAML, RNG). */
#ifndef ES_BASE_H
#define ES_BASE_H
#include "err.h"
#include "io.h"
#include "rng.h"
#include "json.h"
#include "yaml.h"
#endif
