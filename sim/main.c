/* batchtop-sim: loopback emulator of the provider batch APIs (placeholder until issue #4). */
#include <stdio.h>

int main(void) {
  fputs("batchtop-sim: not built yet (issue #4); its answers will be synthetic\n", stderr);
  return 1;
}
