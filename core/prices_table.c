/* prices_table: the built-in price table, USD per 1M tokens, from protocols.md §4.2 (LiteLLM
 * data synced PRICES_DATE). Columns: model, input, output, batch input, batch output, cached
 * input (-1 unknown), batch computed as 50% (1) or listed (0). Prices move: this is data with a
 * date; `--prices FILE` replaces it. */
#include "prices_int.h"

const bt_price prices_builtin_table[] = {
    {"gpt-4o", 2.50, 10.00, 1.25, 5.00, 1.25, 0},
    {"gpt-4o-mini", 0.15, 0.60, 0.075, 0.30, 0.075, 0},
    {"gpt-4.1", 2.00, 8.00, 1.00, 4.00, 0.50, 0},
    {"gpt-4.1-mini", 0.40, 1.60, 0.20, 0.80, 0.10, 0},
    {"gpt-4.1-nano", 0.10, 0.40, 0.05, 0.20, 0.025, 0},
    {"gpt-5", 1.25, 10.00, 0.625, 5.00, 0.125, 1},
    {"gpt-5-mini", 0.25, 2.00, 0.125, 1.00, 0.025, 1},
    {"gpt-5-nano", 0.05, 0.40, 0.025, 0.20, 0.005, 1},
    {"gpt-5.1", 1.25, 10.00, 0.625, 5.00, 0.125, 1},
    {"gpt-5.2", 1.75, 14.00, 0.875, 7.00, 0.175, 1},
    {"gpt-5.4", 2.50, 15.00, 1.25, 7.50, 0.25, 0},
    {"gpt-5.4-mini", 0.75, 4.50, 0.375, 2.25, 0.075, 0},
    {"gpt-5.4-nano", 0.20, 1.25, 0.10, 0.625, 0.02, 0},
    {"gpt-5.5", 5.00, 30.00, 2.50, 15.00, 0.50, 0},
    {"gpt-5.6", 5.00, 30.00, 2.50, 15.00, 0.50, 0},
    {"gpt-5.6-sol", 5.00, 30.00, 2.50, 15.00, 0.50, 0},
    {"gpt-5.6-terra", 2.50, 15.00, 1.25, 7.50, 0.25, 0},
    {"gpt-5.6-luna", 1.00, 6.00, 0.50, 3.00, 0.10, 0},
    {"o3", 2.00, 8.00, 1.00, 4.00, 0.50, 1},
    {"o4-mini", 1.10, 4.40, 0.55, 2.20, 0.275, 1},
    {"text-embedding-3-small", 0.02, 0.0, 0.01, 0.0, -1, 0},
    {"text-embedding-3-large", 0.13, 0.0, 0.065, 0.0, -1, 0},
    {"claude-haiku-4-5", 1.00, 5.00, 0.50, 2.50, 0.10, 1},
    {"claude-sonnet-4-5", 3.00, 15.00, 1.50, 7.50, 0.30, 1},
    {"claude-sonnet-4-6", 3.00, 15.00, 1.50, 7.50, 0.30, 1},
    {"claude-sonnet-5", 2.00, 10.00, 1.00, 5.00, 0.20, 1},
    {"claude-opus-4-5", 5.00, 25.00, 2.50, 12.50, 0.50, 1},
    {"claude-opus-4-6", 5.00, 25.00, 2.50, 12.50, 0.50, 1},
    {"claude-opus-4-7", 5.00, 25.00, 2.50, 12.50, 0.50, 1},
    {"claude-opus-4-8", 5.00, 25.00, 2.50, 12.50, 0.50, 1},
    {"claude-opus-5", 5.00, 25.00, 2.50, 12.50, 0.50, 1},
    {"claude-opus-4-1", 15.00, 75.00, 7.50, 37.50, 1.50, 1},
    {"claude-fable-5", 10.00, 50.00, 5.00, 25.00, 1.00, 1},
    {"gemini/gemini-2.5-pro", 1.25, 10.00, 0.625, 5.00, 0.125, 1},
    {"gemini/gemini-2.5-flash", 0.30, 2.50, 0.15, 1.25, 0.03, 1},
    {"gemini/gemini-2.5-flash-lite", 0.10, 0.40, 0.05, 0.20, 0.01, 1},
    {"gemini/gemini-3-flash-preview", 0.50, 3.00, 0.25, 1.50, 0.05, 1},
    {"gemini/gemini-3.1-pro-preview", 2.00, 12.00, 1.00, 6.00, 0.20, 0},
    {"gemini/gemini-3.5-flash-lite", 0.30, 2.50, 0.15, 1.25, 0.03, 0},
    {"gemini/gemini-3.6-flash", 1.50, 7.50, 0.75, 3.75, 0.15, 0},
    {"mistral/mistral-large-latest", 0.50, 1.50, 0.25, 0.75, -1, 1},
    {"mistral/mistral-small-latest", 0.06, 0.18, 0.03, 0.09, -1, 1},
};

const size_t prices_builtin_count = sizeof prices_builtin_table / sizeof prices_builtin_table[0];
