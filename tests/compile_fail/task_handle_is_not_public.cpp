#include "spdkcpp/task.hpp"

// Resuming a task's frame by hand, then dropping the Task, would free a frame that
// I/O in flight refers to: the frame is not reachable from outside the library.
void f(spdkcpp::Task<int> &t) {
    t.handle().resume();
}
