// cohort/partition.hpp - partitioners and replica placement: the ketama ring
// (libmemcached-compatible), cohort's ring, jump, rendezvous, Maglev,
// multi-probe, bounded loads, MementoHash and placement across failure
// domains. See docs/partitioners.md for which to choose. Bulk lookups over
// ranges (cohort/partition/bulk.hpp) use range-v3 and are included on demand
// only, to keep this umbrella light to compile.
#pragma once

#include "cohort/partition/bounded_load.hpp"
#include "cohort/partition/concepts.hpp"
#include "cohort/partition/hash.hpp"
#include "cohort/partition/jump.hpp"
#include "cohort/partition/ketama.hpp"
#include "cohort/partition/maglev.hpp"
#include "cohort/partition/memento.hpp"
#include "cohort/partition/multi_probe.hpp"
#include "cohort/partition/placement.hpp"
#include "cohort/partition/rendezvous.hpp"
#include "cohort/partition/ring.hpp"
