/* batchtop-sim: a loopback emulator of the OpenAI and Anthropic batch APIs for batchtop's
 * tests and demo. Every answer it gives is synthetic.
 *
 * Prints the port alone on the first line of stdout (so `--port 0` can be read by a script),
 * logs to stderr, and runs until SIGTERM or SIGINT. Settings: defaults, then --demo, then
 * --config FILE, then the other flags in order (see sim/README.md). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

enum { OPT_PORT = 1000, OPT_CONFIG, OPT_DEMO, OPT_HELP, OPT_VERSION, OPT_KEY_BASE = 2000 };

static void usage(FILE *out) {
  fprintf(out,
          "usage: batchtop-sim [--port N] [--demo] [--config FILE] [SETTINGS...]\n\n"
          "%s.\n"
          "It emulates the OpenAI Files + Batches API, the Anthropic Message Batches API and\n"
          "the direct chat/messages/responses/embeddings endpoints on 127.0.0.1, with fast\n"
          "time and fault injection. Its answers come from a deterministic rule, not a model.\n\n"
          "  --port N          listen on 127.0.0.1:N (0 = a free port, printed alone on the\n"
          "                    first line of stdout)\n"
          "  --demo            the README demo preset: 50-200 requests take 20-60 s and\n"
          "                    requests mentioning \"double-charged\" fail on their first try\n"
          "  --config FILE     `key = value` lines (# comments) or one JSON object\n"
          "  --help, --version\n\n"
          "Settings (also config-file keys with '_' and POST /admin/config JSON keys):\n",
          "batchtop-sim: every answer it gives is synthetic");
  bool takes;
  const char *meta, *help;
  const char *name;
  for (size_t i = 0; (name = sim_config_key(i, &takes, &meta, &help)); i++) {
    char flag[80];
    snprintf(flag, sizeof flag, "--%s%s%s", name, takes ? " " : "", meta);
    for (char *c = flag + 2; *c; c++)
      if (*c == '_')
        *c = '-';
    fprintf(out, "  %-26s %s\n", flag, help);
  }
  fprintf(out, "\nAdmin (no auth): GET /admin/stats, GET|POST /admin/config, POST /admin/reset\n");
}

int main(int argc, char **argv) {
  /* The long options come from the settings table, plus a few of our own. */
  size_t nkeys = 0;
  bool takes;
  const char *meta, *help;
  while (sim_config_key(nkeys, &takes, &meta, &help))
    nkeys++;
  struct option *opts = calloc(nkeys + 6, sizeof *opts);
  char **names = calloc(nkeys, sizeof *names);
  if (!opts || !names)
    return 1;
  for (size_t i = 0; i < nkeys; i++) {
    const char *n = sim_config_key(i, &takes, &meta, &help);
    names[i] = strdup(n);
    for (char *c = names[i]; *c; c++)
      if (*c == '_')
        *c = '-';
    opts[i] = (struct option){names[i], takes ? required_argument : no_argument, NULL,
                              OPT_KEY_BASE + (int)i};
  }
  opts[nkeys + 0] = (struct option){"port", required_argument, NULL, OPT_PORT};
  opts[nkeys + 1] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
  opts[nkeys + 2] = (struct option){"demo", no_argument, NULL, OPT_DEMO};
  opts[nkeys + 3] = (struct option){"help", no_argument, NULL, OPT_HELP};
  opts[nkeys + 4] = (struct option){"version", no_argument, NULL, OPT_VERSION};

  int rc = 0;
  sim_config cfg;
  sim_config_defaults(&cfg);
  long port = 8080;
  const char *config_file = NULL;
  bool demo = false;
  /* First pass: the presets and the file, which the other flags then override. */
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == OPT_DEMO)
      demo = true;
    else if (c == OPT_CONFIG)
      config_file = optarg;
  }
  char err[1024];
  if (demo)
    sim_config_demo(&cfg);
  if (config_file && sim_config_load_file(&cfg, config_file, err, sizeof err)) {
    fprintf(stderr, "batchtop-sim: %s\n", err);
    rc = 1;
    goto out;
  }
  optind = 1;
  opterr = 1;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case OPT_PORT: {
      char *end;
      port = strtol(optarg, &end, 10);
      if (end == optarg || *end || port < 0 || port > 65535) {
        fprintf(stderr, "batchtop-sim: --port: '%s' is not a port number\n", optarg);
        rc = 1;
        goto out;
      }
      break;
    }
    case OPT_CONFIG:
    case OPT_DEMO:
      break;
    case OPT_HELP:
      usage(stdout);
      goto out;
    case OPT_VERSION:
      printf("batchtop-sim %s (synthetic answers)\n", BATCHTOP_VERSION);
      goto out;
    default:
      if (c >= OPT_KEY_BASE && c < OPT_KEY_BASE + (int)nkeys) {
        const char *key = sim_config_key((size_t)(c - OPT_KEY_BASE), &takes, &meta, &help);
        if (sim_config_set(&cfg, key, takes ? optarg : "true", err, sizeof err)) {
          fprintf(stderr, "batchtop-sim: --%s: %s\n", names[c - OPT_KEY_BASE], err);
          rc = 1;
          goto out;
        }
        break;
      }
      usage(stderr);
      rc = 1;
      goto out;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "batchtop-sim: unexpected argument '%s'\n", argv[optind]);
    rc = 1;
    goto out;
  }

  /* Signals are taken by sigwait below; every thread started from here inherits the mask. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  fprintf(stderr, "%s\n", sim_banner()); /* before the port line, so a reader of it sees both */
  sim_server *s = sim_server_start(&cfg, (uint16_t)port, NULL, NULL, err, sizeof err);
  if (!s) {
    fprintf(stderr, "batchtop-sim: %s\n", err);
    rc = 1;
    goto out;
  }
  printf("%u\n", (unsigned)sim_server_port(s));
  fflush(stdout);
  fprintf(stderr, "batchtop-sim: listening on http://127.0.0.1:%u%s\n",
          (unsigned)sim_server_port(s), demo ? " (demo preset)" : "");
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "batchtop-sim: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  sim_server_stop(s);
out:
  for (size_t i = 0; i < nkeys; i++)
    free(names[i]);
  free(names);
  free(opts);
  return rc;
}
