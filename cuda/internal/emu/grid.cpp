#include <barrier>
#include <thread>
#include <vector>

#include "emu.h"

thread_local emu_dim3 threadIdx = {0, 0, 0};
emu_dim3 blockIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
alignas(16) unsigned char smem[4 << 20];

// emu_max_shared is the dynamic shared memory one block may use after opting in on the
// emulated H200 (227 KiB, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN on sm_90).
static const unsigned emu_max_shared = 227u << 10;
static_assert(emu_max_shared <= sizeof smem, "emu: smem is smaller than the opt-in limit");

extern "C" unsigned emu_max_shared_optin() { return emu_max_shared; }
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
// a GPU would refuse: over 1024 threads a block or more dynamic shared memory than a
// block may use after opting in (emu_max_shared; the real driver opts in above 48 KiB).
extern "C" int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned bx,
                          unsigned by, unsigned shared, const unsigned long long* slots,
                          int nargs) {
    auto it = emu_registry().find(name);
    if (it == emu_registry().end()) return 1;
    if (it->second.nargs != nargs) return 2;
    if (bx * by > 1024 || shared > emu_max_shared || gx == 0 || gy == 0) return 3;
    it->second.launch(gx, gy, bx, by, slots);
    return 0;
}
