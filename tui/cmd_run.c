/* cmd_run: `batchtop run`: chained stages (stage N+1 reads stage N's results). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_status.h"
#include "engine.h"
#include "job_report.h"
#include "pipeline_run.h"
#include "provider.h"
#include "util.h"

enum { OPT_WAIT = 256, OPT_MAX_COST, OPT_PRICES };
const struct option cmd_run_options[] = {{"wait", no_argument, NULL, OPT_WAIT},
                                         {"max-cost", required_argument, NULL, OPT_MAX_COST},
                                         {"prices", required_argument, NULL, OPT_PRICES},
                                         {NULL, 0, NULL, 0}};
const bt_cmd_help cmd_run_help = {
    "PIPELINE [--wait] [--max-cost USD] [--prices FILE]",
    "chained stages (stage N+1 reads stage N's results)",
    "  --wait           drive every stage until all have ended; rows flow into the next\n"
    "                   stage as soon as their chunk is done in the stage before\n"
    "  --max-cost USD   refuse (exit 4) when the worst case of all stages at batch prices is\n"
    "                   higher\n"
    "  --prices FILE    price table in LiteLLM's JSON format (default: config 'prices')\n"
    "\n"
    "  The pipeline file names the input and the stages (see examples/triage.pipeline.yaml).\n"
    "  Everything is checked and estimated before anything is sent. Running the same file\n"
    "  again resumes the pipeline it started (after a crash, or to let retried rows flow on);\n"
    "  prints the pipeline id. `batchtop results PIPELINE` gives every stage side by side.\n"};

static void print_plan(const bt_pipeline *p, const bt_stage_plan *plans, double *total_worst) {
  fprintf(stderr, "pipeline %s over %s\n", p->name, p->input_path);
  fprintf(stderr, "  %-14s %-30s %6s %10s %10s %11s %11s\n", "stage", "provider/model", "rows",
          "input tok", "output tok", "standard", "batch");
  double std = 0, batch = 0;
  int priced = 1;
  for (size_t k = 0; k < p->n_stages; k++) {
    const bt_stage_plan *pl = &plans[k];
    char pm[64], in[16], out[16], s1[24] = "no price", s2[24] = "no price";
    snprintf(pm, sizeof pm, "%s/%s", pl->provider, pl->model);
    util_fmt_count((double)pl->est.input_tokens, in, sizeof in);
    util_fmt_count((double)pl->est.output_worst, out, sizeof out);
    if (pl->cost.priced) {
      util_fmt_usd(pl->cost.standard_worst, s1, sizeof s1);
      util_fmt_usd(pl->cost.batch_worst, s2, sizeof s2);
      std += pl->cost.standard_worst;
      batch += pl->cost.batch_worst;
    } else {
      priced = 0;
    }
    fprintf(stderr, "  %-14.14s %-30.30s %6lld %10s %10s %11s %11s\n", p->stages[k].name, pm,
            (long long)pl->est.requests, in, out, s1, s2);
  }
  char s1[24], s2[24];
  fprintf(stderr, "  %-14s %-30s %6s %10s %10s %11s %11s%s\n", "total (at most)", "", "", "", "",
          util_fmt_usd(std, s1, sizeof s1), util_fmt_usd(batch, s2, sizeof s2),
          priced ? "" : "  (some stages have no price)");
  fprintf(stderr, "  later stages are estimated as if every row reached them with answers as "
                  "long as max_tokens allows\n");
  *total_worst = batch;
}

int cmd_run(bt_cli *cli, int argc, char **argv) {
  int wait = 0;
  double max_cost = cli->cfg.max_cost > 0 ? cli->cfg.max_cost : -1;
  const char *prices_path = cli->cfg.prices;
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "", cmd_run_options, NULL)) != -1) {
    if (c == OPT_WAIT) {
      wait = 1;
    } else if (c == OPT_MAX_COST) {
      char *end;
      max_cost = strtod(optarg, &end);
      if (end == optarg || *end || !isfinite(max_cost) || max_cost < 0)
        return cli_usage_error("run", "--max-cost needs a number of US dollars");
    } else if (c == OPT_PRICES) {
      prices_path = optarg;
    } else {
      return cli_bad_option("run", argv, cmd_run_options);
    }
  }
  if (argc - optind != 1)
    return cli_usage_error("run", "needs one PIPELINE file");
  const char *path = argv[optind];

  bt_error err;
  error_clear(&err);
  bt_pipeline p;
  if (pipeline_load(path, &p, &err)) {
    cli_error("run", &err);
    return EXIT_USAGE;
  }
  bt_prices *prices = NULL;
  bt_status st =
      prices_path ? prices_load_litellm(prices_path, &prices, &err) : prices_builtin(&prices, &err);
  bt_stage_plan *plans = st ? NULL : calloc(p.n_stages, sizeof *plans);
  if (!st && !plans)
    st = error_set(&err, BT_ERR_NOMEM, "out of memory");
  if (!st)
    st = pipeline_plan(&p, prices, plans, &err);
  prices_free(prices);
  if (st) {
    cli_error("run", &err);
    free(plans);
    pipeline_cleanup(&p);
    return EXIT_USAGE;
  }
  double worst = 0;
  print_plan(&p, plans, &worst);
  for (size_t k = 0; k < p.n_stages; k++) {
    const char *family = cli_model_provider(plans[k].model);
    if (family && strcmp(plans[k].provider, "local") && strcmp(family, plans[k].provider))
      fprintf(stderr,
              "batchtop run: warning: stage '%s': model '%s' belongs to %s, but the provider is"
              " %s; the provider will likely refuse it\n",
              p.stages[k].name, plans[k].model, family, plans[k].provider);
  }
  /* A limit cannot be checked against a stage without a price: refuse rather than guess 0. */
  for (size_t k = 0; k < p.n_stages; k++) {
    if (plans[k].cost.priced || !strcmp(plans[k].provider, "local") ||
        (max_cost < 0 && p.stages[k].max_cost < 0))
      continue;
    fprintf(stderr,
            "batchtop run: no price is known for model '%s' (%s) of stage '%s', so %s cannot be"
            " checked; nothing was sent. %s\n",
            plans[k].model, plans[k].provider, p.stages[k].name,
            max_cost >= 0 ? "--max-cost" : "its max_cost", PROVIDER_PRICES_HINT);
    free(plans);
    pipeline_cleanup(&p);
    return EXIT_BUDGET;
  }
  if (max_cost >= 0 && worst > max_cost) {
    char a[24], b[24];
    fprintf(stderr, "batchtop run: the worst case %s is over --max-cost $%s; nothing was sent\n",
            util_fmt_usd(worst, a, sizeof a), util_fmt_usd_exact(max_cost, b, sizeof b));
    free(plans);
    pipeline_cleanup(&p);
    return EXIT_BUDGET;
  }
  bt_store *s;
  if (cli_open_store("run", &s)) {
    free(plans);
    pipeline_cleanup(&p);
    return EXIT_USAGE;
  }
  char pid[BT_PIPELINE_ID_LEN + 1];
  int created = 0;
  st = pipeline_ensure(s, &p, plans, pid, &created, &err);
  free(plans);
  pipeline_cleanup(&p);
  if (st) {
    cli_error("run", &err);
    store_close(s);
    return st == BT_ERR_BUDGET ? EXIT_BUDGET : EXIT_USAGE;
  }
  fprintf(stderr, "%s pipeline %s\n", created ? "started" : "resuming", pid);
  printf("%s\n", pid);
  fflush(stdout);
  int code;
  if (wait) {
    code = cmd_drive_pipeline(cli, "run", s, pid);
  } else {
    /* Hand stage 1 to the provider; later stages flow when the pipeline is driven again
     * (`run --wait`, or the dashboard). */
    char(*ids)[BT_JOB_ID_LEN + 1] = NULL;
    size_t n = 0;
    if (pipeline_stage_jobs(s, pid, &ids, &n, &err) || n == 0) {
      cli_error("run", &err);
      code = EXIT_USAGE;
    } else {
      code = cmd_drive_job(cli, "run", ids[0], DRIVE_UNTIL_SUBMITTED);
    }
    free(ids);
  }
  store_close(s);
  return code;
}
