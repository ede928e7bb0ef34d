#include "emu.h"
#include "../../lstm.cu"
