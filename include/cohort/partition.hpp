// cohort/partition.hpp - partitioners and replica placement: the ketama ring
// (libmemcached-compatible), cohort's ring, jump, rendezvous, Maglev,
// multi-probe, bounded loads, MementoHash, placement across failure domains,
// and bulk lookups. See docs/partitioners.md for which to choose.
#pragma once

#include "cohort/partition/bounded_load.hpp"
#include "cohort/partition/bulk.hpp"
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
