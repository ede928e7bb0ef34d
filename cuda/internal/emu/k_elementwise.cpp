#include "emu.h"
#include "../../elementwise.cu"
