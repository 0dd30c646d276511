// A transport<M> must have send(node_id, M&&): a type with only a broadcast is rejected.
// expect: (satisfaction of [^ a-z_]*transport<|'cohort::transport<[^']*>' evaluated to false)
#include <cohort/core/concepts.hpp>

struct ping {
  std::uint64_t seq = 0;
};

struct transport_without_send {
  void broadcast(ping) {}
};

template <cohort::transport<ping> Transport>
void send_ping(Transport& t, cohort::node_id to) { t.send(to, ping{1}); }

void use() {
  transport_without_send t;
  send_ping(t, cohort::node_id{2});
}
