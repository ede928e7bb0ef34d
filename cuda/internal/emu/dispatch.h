// Launch by name: each k_*.cpp registers its kernels with EMU_REG, and emu_launch (grid.cpp)
// runs one from the 8-byte argument slots a Go launcher packs, decoding each slot as the
// kernel's parameter type declares it. This is how the session in internal/core runs its
// whole kernel sequence on the CPU through the same launchers as on a GPU.
#pragma once
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>
#include <utility>

extern "C" void emu_run(unsigned gx, unsigned gy, unsigned bx, unsigned by,
                        void (*f)(void*), void* arg);

using emu_slots = const unsigned long long*;
struct emu_entry {
    void (*launch)(unsigned gx, unsigned gy, unsigned bx, unsigned by, emu_slots s);
    int nargs;
};
std::map<std::string, emu_entry>& emu_registry();

// emu_slot reads one argument: a pointer or an integer from its low bytes, a float from
// its low 32 bits, a double from all 64, as the driver passes them to a real kernel.
template <typename A>
A emu_slot(unsigned long long s) {
    if constexpr (std::is_pointer_v<A>) {
        return reinterpret_cast<A>(static_cast<uintptr_t>(s));
    } else if constexpr (std::is_same_v<A, float>) {
        uint32_t b = uint32_t(s);
        float f;
        std::memcpy(&f, &b, sizeof f);
        return f;
    } else if constexpr (std::is_same_v<A, double>) {
        double d;
        std::memcpy(&d, &s, sizeof d);
        return d;
    } else {
        return static_cast<A>(s);
    }
}

template <auto F>
struct emu_kernel;

template <typename... A, void (*F)(A...)>
struct emu_kernel<F> {
    static constexpr int nargs = sizeof...(A);
    static void launch(unsigned gx, unsigned gy, unsigned bx, unsigned by, emu_slots s) {
        run(gx, gy, bx, by, s, std::index_sequence_for<A...>{});
    }
    template <size_t... I>
    static void run(unsigned gx, unsigned gy, unsigned bx, unsigned by, emu_slots s,
                    std::index_sequence<I...>) {
        auto call = [&] { F(emu_slot<A>(s[I])...); };
        emu_run(gx, gy, bx, by, [](void* c) { (*(decltype(call)*)c)(); }, &call);
    }
};

#define EMU_REG(NAME)                                                                    \
    static const bool emu_reg_##NAME =                                                  \
        (emu_registry()[#NAME] = {&emu_kernel<&NAME>::launch, emu_kernel<&NAME>::nargs}, \
         true);
#define EMU_REG2(NAME) EMU_REG(NAME##_f32) EMU_REG(NAME##_f64)
