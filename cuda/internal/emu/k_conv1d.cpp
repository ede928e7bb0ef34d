#include "emu.h"
#include "../../conv1d.cu"
