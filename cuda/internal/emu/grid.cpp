#include <barrier>
#include <thread>
#include <vector>

#include "emu.h"

thread_local emu_dim3 threadIdx = {0, 0, 0};
emu_dim3 blockIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
alignas(16) unsigned char smem[4 << 20];
static std::barrier<>* bar;

void emu_sync() { bar->arrive_and_wait(); }

// emu_run runs f(arg) as every thread of a gx×gy grid of bx×by blocks. A thread that
// returns leaves the barrier, so early exits do not stall the others.
extern "C" void emu_run(unsigned gx, unsigned gy, unsigned bx, unsigned by,
                        void (*f)(void*), void* arg) {
    gridDim = {gx, gy, 1};
    blockDim = {bx, by, 1};
    for (unsigned y = 0; y < gy; y++) {
        for (unsigned x = 0; x < gx; x++) {
            blockIdx = {x, y, 0};
            std::barrier<> b(bx * by);
            bar = &b;
            std::vector<std::thread> ts;
            for (unsigned ty = 0; ty < by; ty++)
                for (unsigned tx = 0; tx < bx; tx++)
                    ts.emplace_back([=, &b] {
                        threadIdx = {tx, ty, 0};
                        f(arg);
                        b.arrive_and_drop();
                    });
            for (auto& t : ts) t.join();
        }
    }
}

#include "dispatch.h"

std::map<std::string, emu_entry>& emu_registry() {
    static std::map<std::string, emu_entry> r;
    return r;
}

// emu_launch runs kernel name with the launch shape and argument slots of a Go launcher.
// It returns 0, or 1 for an unknown kernel, 2 for a wrong argument count, 3 for a launch
// a GPU would refuse: over 1024 threads a block or over 48 KiB of dynamic shared memory
// (the limit without an opt-in, which gorgonia.org/cu cannot make).
extern "C" int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned bx,
                          unsigned by, unsigned shared, const unsigned long long* slots,
                          int nargs) {
    auto it = emu_registry().find(name);
    if (it == emu_registry().end()) return 1;
    if (it->second.nargs != nargs) return 2;
    if (bx * by > 1024 || shared > (48u << 10) || gx == 0 || gy == 0) return 3;
    it->second.launch(gx, gy, bx, by, slots);
    return 0;
}
