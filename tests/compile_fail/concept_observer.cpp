// An observer must have on_event(event): a type with another hook is rejected.
// expect: (satisfaction of [^ a-z_]*observer<|does not satisfy 'observer')
#include <cohort/core/concepts.hpp>

struct observer_without_on_event {
  void notify(const cohort::event&) {}
};

template <cohort::observer Observer>
void report(Observer& o, const cohort::event& ev) { o.on_event(ev); }

void use() {
  observer_without_on_event o;
  report(o, cohort::event{});
}
