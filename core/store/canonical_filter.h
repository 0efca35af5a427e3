// Copyright 2026 The overlay Authors.
//
// CanonicalFilterKey: one text per query meaning. Two filters that select
// the same rows in the same order by the store's rules (filter.h) get the
// same key, so caches shared by nodes and clients (core/shmcache, the
// nodes' chunk and plan entries) find a repeated query however a client
// spelled it; filters that may select different rows get different keys.
// Normalised: parameter, category and site-key lists are sorted and
// de-duplicated (order and repeats do not change a set condition), an
// empty prefix is no prefix (it matches every row), and -0.0 bounds are
// 0.0. Kept apart, because the store tells them apart: an empty list and
// the list of every known value (empty also keeps unknown parameters and
// missing categories), an absent bound and an infinite one (a bound never
// keeps a missing value), an absent box and the whole world. The limit is
// part of the key (0: none). Every number is written exactly (doubles with
// 17 significant digits), strings length-prefixed, so distinct filters
// never collide. Pure function; thread-safe.
//
//   const std::string key = CanonicalFilterKey(filter);  // filter.limit too

#ifndef OVERLAY_CORE_STORE_CANONICAL_FILTER_H_
#define OVERLAY_CORE_STORE_CANONICAL_FILTER_H_

#include <string>

#include "core/store/filter.h"

namespace overlay {

// The canonical text of `filter`, limit included. Bump the leading version
// ("f1") when the format or a normalisation rule changes.
// REQUIRES: ValidateFilter(filter) is OK (no NaN bounds).
std::string CanonicalFilterKey(const Filter& filter);

}  // namespace overlay

#endif  // OVERLAY_CORE_STORE_CANONICAL_FILTER_H_
