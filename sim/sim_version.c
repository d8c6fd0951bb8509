/* sim_version: the emulator's identity, shown in its banner. */
#include "sim.h"

const char *sim_banner(void) {
  return "batchtop-sim: a loopback emulator of the OpenAI and Anthropic batch APIs; "
         "every answer it gives is synthetic";
}
