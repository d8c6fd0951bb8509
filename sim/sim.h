/* sim: the provider emulator behind batchtop-sim (see sim/README.md). */
#ifndef BT_SIM_H
#define BT_SIM_H

const char *sim_banner(void);

#endif
