// EMU(NAME, PARAMS, ARGS) defines emu_NAME(gx, gy, bx, by, PARAMS...), which runs the
// kernel NAME on a gx×gy grid of bx×by blocks through emu_run.
#pragma once
#include <tuple>

extern "C" void emu_run(unsigned gx, unsigned gy, unsigned bx, unsigned by,
                        void (*f)(void*), void* arg);

#define EMU_STRIP(...) __VA_ARGS__
#define EMU(NAME, PARAMS, ARGS)                                                       \
    extern "C" void emu_##NAME(unsigned gx, unsigned gy, unsigned bx, unsigned by,    \
                               EMU_STRIP PARAMS) {                                    \
        auto call = [&] { NAME ARGS; };                                               \
        emu_run(gx, gy, bx, by, [](void* c) { (*(decltype(call)*)c)(); }, &call);    \
    }
