// tests/paxos/messages.hpp - builds a Paxos message (single-decree `message`
// or Multi-Paxos `multi_message`) with its header fields set, for tests.
#pragma once

#include <cohort/paxos/ballot.hpp>

#include <cstdint>

namespace paxos_test {

template <class Message, class Type>
Message make_message(Type t, std::uint64_t from, std::uint64_t to, cohort::paxos::ballot b) {
  Message m;
  m.type = t;
  m.from = cohort::node_id{from};
  m.to = cohort::node_id{to};
  m.b = b;
  return m;
}

}  // namespace paxos_test
