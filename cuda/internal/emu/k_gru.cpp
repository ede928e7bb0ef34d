#include "emu.h"
#include "../../gru.cu"
