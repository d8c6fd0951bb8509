/* bench_ingest: batchtop's side of the ingestion benchmark (bench/ingest/run.sh).
 *
 *   bench_ingest setup  DB N CHUNK [PROMPT]
 *                                       a job of N tasks in batches of CHUNK (not timed);
 *                                       each request carries a prompt of PROMPT bytes
 *                                       (default 0: a bare request line)
 *   bench_ingest ingest DB DIR          each batch's OpenAI output file (DIR/results-0001.jsonl,
 *                                       ... as gen.py writes them) into the store the way
 *                                       the engine takes a download: its lines split and
 *                                       spooled to a file, then the spool ingested whole
 *                                       (ingest_file: parser -> join on custom_id -> staged
 *                                       -> applied in one transaction), one batch after the
 *                                       other; prints how long spooling and ingesting took
 *   bench_ingest export DB OUT.csv      every row, input order, CSV (the `results` path)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "ingest_file.h"
#include "job.h"
#include "provider.h"
#include "results.h"
#include "store_attempt.h"
#include "store_batch.h"
#include "store_sql.h"
#include "util.h"

static void die(const char *what, const bt_error *err) {
  fprintf(stderr, "bench_ingest: %s: %s\n", what, err ? err->message : "");
  exit(1);
}

/* The engine's dl_line: every line of a download appended to the batch's spool. */
static bt_status on_line(void *ud, const char *line, size_t len) {
  FILE *spool = ud;
  if (fwrite(line, 1, len, spool) != len || putc('\n', spool) == EOF)
    die("writing the spool", NULL);
  return BT_OK;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: bench_ingest setup|ingest|export DB ARG [CHUNK]\n");
    return 2;
  }
  bt_store *s;
  bt_error err;
  if (store_open(argv[2], &s, &err))
    die("open", &err);
  if (!strcmp(argv[1], "setup")) {
    long n = atol(argv[3]);
    bt_job_opts o;
    job_opts_init(&o);
    o.name = "bench";
    o.chunk_size = argc > 4 ? atol(argv[4]) : n;
    /* Provider local takes any chunk size, so the batches are exactly as gen.py cut the
     * result files; costs are still priced as openai's below. */
    bt_job_meta m = {"local", "gpt-4o-mini", NULL, "csv", "[\"id\",\"text\"]", NULL, NULL, NULL};
    bt_job_builder *b;
    if (job_builder_begin(s, &o, &m, &b, &err))
      die("begin", &err);
    size_t prompt = argc > 5 ? (size_t)atol(argv[5]) : 0;
    char *text = malloc(prompt + 1), *req = malloc(prompt + 512);
    if (!text || !req)
      die("out of memory", NULL);
    for (size_t k = 0; k < prompt; k++)
      text[k] = "Label this customer feedback. "[k % 30];
    text[prompt] = '\0';
    for (long i = 1; i <= n; i++) {
      char cid[32], input[128];
      snprintf(cid, sizeof cid, "row-%ld", i);
      snprintf(input, sizeof input, "{\"id\":\"%ld\",\"text\":\"item %ld\"}", i, i);
      if (prompt)
        snprintf(req, prompt + 512,
                 "{\"custom_id\":\"%s\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                 "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
                 "\"content\":\"%s\"}]}}",
                 cid, text);
      else
        snprintf(req, prompt + 512,
                 "{\"custom_id\":\"%s\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\"}",
                 cid);
      bt_rendered r = {.row_no = i,
                       .line_no = i + 1,
                       .custom_id = cid,
                       .input_json = input,
                       .request = req,
                       .request_bytes = strlen(req),
                       .est_input_tokens = 10,
                       .max_output_tokens = 5};
      if (job_builder_add(b, &r, &err))
        die("add", &err);
    }
    free(text);
    free(req);
    char id[BT_JOB_ID_LEN + 1];
    if (job_builder_finish(b, id, &err))
      die("finish", &err);
    printf("%s\n", id);
  } else {
    char job[BT_JOB_ID_LEN + 1];
    sqlite3_stmt *st;
    if (store_prepare(s, "SELECT job_id FROM batches LIMIT 1", &st, &err) ||
        sqlite3_step(st) != SQLITE_ROW)
      die("no job", &err);
    snprintf(job, sizeof job, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (!strcmp(argv[1], "ingest")) {
      int64_t spooling = 0, ingesting = 0, applied = 0, lines = 0;
      /* The batch ids first: no statement stays open across the ingest's transactions. */
      if (store_prepare(s, "SELECT id FROM batches ORDER BY chunk_no", &st, &err))
        die("batches", &err);
      int64_t *batches = NULL;
      size_t nb = 0;
      while (sqlite3_step(st) == SQLITE_ROW) {
        batches = realloc(batches, (nb + 1) * sizeof *batches);
        if (!batches)
          die("out of memory", NULL);
        batches[nb++] = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
      char spool_path[4200];
      snprintf(spool_path, sizeof spool_path, "%s.spool", argv[2]);
      for (size_t k = 1; k <= nb; k++) {
        int64_t batch = batches[k - 1], t0 = util_now_ms();
        char path[4200];
        snprintf(path, sizeof path, "%s/results-%04zu.jsonl", argv[3], k);
        FILE *f = fopen(path, "rb"), *spool = fopen(spool_path, "w+b");
        if (!f || !spool)
          die(path, NULL);
        bt_lines l;
        lines_init(&l, on_line, spool);
        static char chunk[1 << 16];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
          if (lines_feed(&l, chunk, n))
            die("lines", NULL);
        if (lines_finish(&l) || fflush(spool))
          die("lines", NULL);
        lines += l.n_lines;
        fclose(f);
        lines_cleanup(&l);
        int64_t t_spooled = util_now_ms();
        bt_ingest *g;
        if (ingest_new(s, job, batch, "openai", "gpt-4o-mini", &g, &err))
          die("ingest_new", &err);
        rewind(spool);
        if (ingest_file(g, PROVIDER_OPENAI, spool, &applied, NULL, &err))
          die("ingest", &err);
        ingest_free(g);
        fclose(spool);
        spooling += t_spooled - t0;
        ingesting += util_now_ms() - t_spooled;
      }
      unlink(spool_path);
      free(batches);
      fprintf(stderr, "ingested %lld lines, %lld applied (spool %.2f s, ingest %.2f s)\n",
              (long long)lines, (long long)applied, spooling / 1e3, ingesting / 1e3);
    } else {
      int64_t rows;
      if (results_export_file(s, job, "csv", argv[3], &rows, &err))
        die("export", &err);
      fprintf(stderr, "exported %lld rows\n", (long long)rows);
    }
  }
  store_close(s);
  return 0;
}
