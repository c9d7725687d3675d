/*
 * Diagnostics of the configuration layer: "file:line:col: message" errors, name rules, and the
 * "did you mean" suggestions every unknown name or key gets. The bottom of sim/config: it calls
 * nothing else of it.
 */
#include "config_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
__attribute__((format(printf, 4, 0)))
#endif
static bool
error_v(const SimConfig *c, SimError *err, const CfgNode *n, const char *fmt, va_list ap)
{
    char msg[SIM_ERROR_MSG_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    const char *file = n != NULL && n->file != NULL ? n->file : c->path;
    if (n != NULL && n->line == 0) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: %s", file, msg); /* a command-line value */
    }
    return sim_error_set(err, SIM_ERR_INPUT, "%s:%u:%u: %s", file, n ? n->line : 1u,
                         n ? n->col : 1u, msg);
}

bool cfg_error_at(const SimConfig *c, SimError *err, const CfgNode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(c, err, n, fmt, ap);
    va_end(ap);
    return false;
}

bool cfg_fail(CfgLoader *l, const CfgNode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(l->c, l->err, n, fmt, ap);
    va_end(ap);
    return false;
}

bool sim_valid_name(const char *s)
{
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) {
        return false;
    }
    for (const char *p = s + 1; *p != '\0'; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_')) {
            return false;
        }
    }
    return true;
}

/* Levenshtein distance, or a large number for long words (no suggestion is made for them). */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) {
        return SIZE_MAX;
    }
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Picks the closest candidate within distance 2 (and shorter than the candidate); first wins. */

void cfg_suggest_init(CfgSuggest *s, const char *word)
{
    s->word = word;
    s->best = NULL;
    s->dist = 3;
}

void cfg_suggest_try(CfgSuggest *s, const char *cand)
{
    size_t d = edit_distance(s->word, cand);
    if (d < s->dist && d < strlen(cand)) {
        s->best = cand;
        s->dist = d;
    }
}

/* " (did you mean 'x'?)" or "" */
void cfg_suggest_text(const CfgSuggest *s, char *buf, size_t size)
{
    if (s->best != NULL) {
        snprintf(buf, size, " (did you mean '%s'?)", s->best);
    } else {
        buf[0] = '\0';
    }
}

/* Appends ", "-separated words to a fixed buffer. */

void cfg_list_add(CfgList *li, const char *word)
{
    if (li->used >= sizeof(li->buf)) {
        return;
    }
    int k = snprintf(li->buf + li->used, sizeof(li->buf) - li->used, "%s%s", li->used ? ", " : "",
                     word);
    if (k > 0) {
        li->used += (size_t)k;
    }
}

int cfg_compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool cfg_unknown_key(const SimConfig *c, SimError *err, const char *ctx, const CfgNode *key,
                     const SimParamDesc *tab, size_t n, const char *const *extra, const char *what)
{
    CfgSuggest s;
    cfg_suggest_init(&s, key->text);
    CfgList li = {.used = 0};
    li.buf[0] = '\0';
    size_t n_extra = 0;
    for (; extra != NULL && extra[n_extra] != NULL; n_extra++) {
        cfg_suggest_try(&s, extra[n_extra]);
        cfg_list_add(&li, extra[n_extra]);
    }
    for (size_t i = 0; i < n; i++) {
        cfg_suggest_try(&s, tab[i].key);
        cfg_list_add(&li, tab[i].key);
    }
    if (s.best != NULL) {
        return cfg_error_at(c, err, key, "%sunknown key '%s' (did you mean '%s'?)", ctx, key->text,
                            s.best);
    }
    if (n == 0 && n_extra == 0) {
        return cfg_error_at(c, err, key, "%sunknown key '%s'; %s has no keys", ctx, key->text,
                            what);
    }
    return cfg_error_at(c, err, key, "%sunknown key '%s'; %s keys are: %s", ctx, key->text, what,
                        li.buf);
}

const char *sim_closest_word(const char *word, const char *const *words, size_t n)
{
    CfgSuggest s;
    cfg_suggest_init(&s, word);
    for (size_t i = 0; i < n; i++) {
        cfg_suggest_try(&s, words[i]);
    }
    return s.best;
}
