/*
 * `membox-sim schema` (schema.h): the parameter tables as a JSON Schema. Written compact into
 * memory, then indented, so that system sections' ops (system.h) can write plain text.
 */
#include "schema.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "units.h"

void sim_schema_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            fprintf(out, "\\%c", *p);
        } else if (*p == '\n') {
            fputs("\\n", out);
        } else if (*p < 0x20) {
            fprintf(out, "\\u%04x", *p);
        } else {
            fputc(*p, out);
        }
    }
    fputc('"', out);
}

/* Whether text is a JSON number as written. */
static bool json_number(const char *t)
{
    const char *p = t;
    if (*p == '-') {
        p++;
    }
    if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9')) {
        return false;
    }
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            return false;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') {
            p++;
        }
        if (*p < '0' || *p > '9') {
            return false;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    return *p == '\0';
}

/* A bound or default of a numeric type as a JSON number; false when it is not one. */
static bool write_number(FILE *out, SimParamType t, const char *text)
{
    char why[128];
    if (t == SIM_PARAM_UINT) {
        uint64_t v;
        if (!sim_parse_uint(text, &v, why, sizeof(why))) {
            return false;
        }
        fprintf(out, "%" PRIu64, v);
        return true;
    }
    if (t == SIM_PARAM_INT) {
        int64_t v;
        if (!sim_parse_int(text, &v, why, sizeof(why))) {
            return false;
        }
        fprintf(out, "%" PRId64, v);
        return true;
    }
    double v;
    if (!sim_parse_real(text, &v, why, sizeof(why))) {
        return false;
    }
    if (json_number(text)) {
        fputs(text, out);
    } else {
        fprintf(out, "%.17g", v);
    }
    return true;
}

/* Units of the types written with one, as a pattern. */
static const char *unit_pattern(SimParamType t)
{
    switch (t) {
    case SIM_PARAM_TIME:
        return "^(0|[0-9]+(\\.[0-9]+)?(ps|ns|us|ms|s))$";
    case SIM_PARAM_FREQ:
        return "^[0-9]+(\\.[0-9]+)?(Hz|kHz|MHz|GHz)$";
    case SIM_PARAM_BYTES:
        return "^(0|[0-9]+(\\.[0-9]+)?(B|kB|KiB|MB|MiB|GB|GiB|TB|TiB))$";
    case SIM_PARAM_BITRATE:
        return "^(0|[0-9]+(\\.[0-9]+)?(bps|kbps|Mbps|Gbps|Tbps))$";
    case SIM_PARAM_LENGTH:
        return "^(0|[0-9]+(\\.[0-9]+)?(m|cm|mm|km))$";
    default:
        return NULL;
    }
}

void sim_schema_param(FILE *out, const SimParamDesc *p)
{
    const char *pattern = unit_pattern(p->type);
    bool numeric =
        p->type == SIM_PARAM_UINT || p->type == SIM_PARAM_INT || p->type == SIM_PARAM_REAL;
    fputc('{', out);
    switch (p->type) {
    case SIM_PARAM_BOOL:
        fputs("\"type\":\"boolean\"", out);
        break;
    case SIM_PARAM_UINT:
    case SIM_PARAM_INT:
        /* YAML reads 0x hex as an integer; a quoted one stays a string. */
        fprintf(out, "\"type\":[\"integer\",\"string\"],\"pattern\":\"^%s0[xX][0-9A-Fa-f]+$\"",
                p->type == SIM_PARAM_INT ? "[+-]?" : "");
        break;
    case SIM_PARAM_REAL:
        fputs("\"type\":\"number\"", out);
        break;
    case SIM_PARAM_ENUM:
        fputs("\"enum\":[", out);
        for (size_t i = 0; p->choices != NULL && p->choices[i] != NULL; i++) {
            if (i > 0) {
                fputc(',', out);
            }
            sim_schema_string(out, p->choices[i]);
        }
        fputc(']', out);
        break;
    case SIM_PARAM_STRING:
        /* Any scalar: YAML may read a name as a number or a boolean. */
        fputs("\"type\":[\"string\",\"number\",\"boolean\"]", out);
        break;
    case SIM_PARAM_DOMAIN:
    case SIM_PARAM_PATH:
    case SIM_PARAM_OBJECT:
        fputs("\"type\":\"string\"", out);
        break;
    default:
        /* A unit is written with the number; a bare 0 is read by YAML as an integer. */
        fputs("\"type\":[\"string\",\"integer\"],\"minimum\":0,\"maximum\":0,\"pattern\":", out);
        sim_schema_string(out, pattern);
        break;
    }
    if (numeric && p->min != NULL) {
        fputs(",\"minimum\":", out);
        if (!write_number(out, p->type, p->min)) {
            fputs("null", out);
        }
    } else if (p->type == SIM_PARAM_UINT) {
        fputs(",\"minimum\":0", out);
    }
    if (numeric && p->max != NULL) {
        fputs(",\"maximum\":", out);
        if (!write_number(out, p->type, p->max)) {
            fputs("null", out);
        }
    }
    if (p->def != NULL) {
        fputs(",\"default\":", out);
        if (p->type == SIM_PARAM_BOOL &&
            (strcmp(p->def, "true") == 0 || strcmp(p->def, "false") == 0)) {
            fputs(p->def, out);
        } else if (numeric && write_number(out, p->type, p->def)) {
        } else if (pattern != NULL && strcmp(p->def, "0") == 0) {
            fputc('0', out);
        } else {
            sim_schema_string(out, p->def);
        }
    }
    /* The description: the doc, then what the schema cannot say (units, range with units). */
    char desc[1024];
    size_t n = (size_t)snprintf(desc, sizeof(desc), "%s. %s", p->doc ? p->doc : "",
                                sim_param_type_name(p->type));
    if (pattern != NULL && n < sizeof(desc)) {
        n += (size_t)snprintf(desc + n, sizeof(desc) - n, " with its unit");
    }
    if (n < sizeof(desc)) {
        n += (size_t)snprintf(desc + n, sizeof(desc) - n, "%s%s%s", p->def ? ", default " : "",
                              p->def ? (p->def[0] ? p->def : "\"\"") : "",
                              p->def ? "" : ", required (here, in `defaults` or a preset)");
    }
    if (p->min != NULL && p->max != NULL && n < sizeof(desc)) {
        n += (size_t)snprintf(desc + n, sizeof(desc) - n, ", %s .. %s", p->min, p->max);
    } else if ((p->min != NULL || p->max != NULL) && n < sizeof(desc)) {
        n += (size_t)snprintf(desc + n, sizeof(desc) - n, ", %s %s",
                              p->min ? ">=" : "<=", p->min ? p->min : p->max);
    }
    fputs(",\"description\":", out);
    sim_schema_string(out, desc);
    fputc('}', out);
}

static bool skipped(const char *key, const char *const *skip)
{
    for (size_t i = 0; skip != NULL && skip[i] != NULL; i++) {
        if (strcmp(key, skip[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void params_from(FILE *out, const SimParamDesc *tab, size_t n, const char *const *skip,
                        bool *first)
{
    for (size_t i = 0; i < n; i++) {
        if (skipped(tab[i].key, skip)) {
            continue;
        }
        if (!*first) {
            fputc(',', out);
        }
        *first = false;
        sim_schema_string(out, tab[i].key);
        fputc(':', out);
        sim_schema_param(out, &tab[i]);
    }
}

void sim_schema_params(FILE *out, const SimModelType *t, const char *const *skip, bool *first)
{
    params_from(out, t->params, t->n_params, skip, first);
}

/* A closed mapping of a table's keys; with required, those with no default are required. */
static void table_object(FILE *out, const SimParamDesc *tab, size_t n, const char *doc,
                         bool required)
{
    fputs("{\"type\":\"object\",\"additionalProperties\":false", out);
    if (doc != NULL) {
        fputs(",\"description\":", out);
        sim_schema_string(out, doc);
    }
    fputs(",\"properties\":{", out);
    bool first = true;
    params_from(out, tab, n, NULL, &first);
    fputs("}", out);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (required && tab[i].def == NULL) {
            fputs(any ? "," : ",\"required\":[", out);
            sim_schema_string(out, tab[i].key);
            any = true;
        }
    }
    fputs(any ? "]}" : "}", out);
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const SimModelType *const *)a)->name, (*(const SimModelType *const *)b)->name);
}

/* params.TYPE: a mapping of the type's keys, `type` (that type) and `preset`. */
static void type_params(FILE *out, const SimModelType *t, bool with_type)
{
    fputs("{\"type\":\"object\",\"additionalProperties\":false,\"description\":", out);
    sim_schema_string(out, t->doc ? t->doc : t->name);
    fputs(",\"properties\":{", out);
    bool first = true;
    sim_schema_params(out, t, NULL, &first);
    if (with_type) {
        fprintf(out, "%s\"type\":{\"const\":", first ? "" : ",");
        sim_schema_string(out, t->name);
        fputs(",\"description\":\"the model type\"},\"preset\":{\"type\":\"string\","
              "\"description\":\"a YAML file of this type's keys, below the instance's own "
              "(docs/config.md, Presets)\"}",
              out);
    }
    fputs("}}", out);
}

/* Compact JSON text -> 2-space indented, one member or item a line; {} and [] stay. */
static bool indent(const char *s, size_t len, FILE *out)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            fputc(c, out);
            if (c == '\\' && i + 1 < len) {
                fputc(s[++i], out);
            } else if (c == '"') {
                in_str = false;
            }
            continue;
        }
        switch (c) {
        case '"':
            in_str = true;
            fputc(c, out);
            break;
        case '[': {
            /* An array of scalars stays on one line. */
            size_t j = i + 1;
            bool q = false;
            while (j < len && (q || (s[j] != ']' && s[j] != '{' && s[j] != '['))) {
                q = s[j] == '\\' ? (j++, q) : s[j] == '"' ? !q : q;
                j++;
            }
            if (j < len && s[j] == ']') {
                for (bool sq = false; i <= j; i++) {
                    fputc(s[i], out);
                    if (sq && s[i] == '\\') {
                        fputc(s[++i], out);
                    } else if (s[i] == '"') {
                        sq = !sq;
                    } else if (!sq && s[i] == ',') {
                        fputc(' ', out);
                    }
                }
                i = j;
                break;
            }
        }
            /* fall through */
        case '{':
            if (i + 1 < len && (s[i + 1] == '}' || s[i + 1] == ']')) {
                fputc(c, out);
                fputc(s[++i], out);
                break;
            }
            depth++;
            fprintf(out, "%c\n%*s", c, 2 * depth, "");
            break;
        case '}':
        case ']':
            depth--;
            fprintf(out, "\n%*s%c", 2 * depth, "", c);
            break;
        case ',':
            fprintf(out, ",\n%*s", 2 * depth, "");
            break;
        case ':':
            fputs(": ", out);
            break;
        default:
            fputc(c, out);
        }
    }
    fputc('\n', out);
    return fflush(out) == 0 && !ferror(out);
}

/* Closes the memory stream mem (its text in *buf, *len), writes it indented to out. */
static bool finish(char **buf, size_t *len, FILE *mem, FILE *out)
{
    if (fclose(mem) != 0) {
        free(*buf);
        return false;
    }
    bool ok = indent(*buf, *len, out);
    free(*buf);
    return ok;
}

bool sim_config_write_schema(const SimRegistry *reg, FILE *out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    const SimModelType **types = malloc((reg->n_types + 1) * sizeof(*types));
    if (o == NULL || types == NULL) {
        if (o != NULL) {
            fclose(o);
        }
        free(buf);
        free(types);
        errno = ENOMEM;
        return false;
    }
    memcpy(types, reg->types, reg->n_types * sizeof(*types));
    qsort(types, reg->n_types, sizeof(*types), by_name);

    fputs("{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
          "\"title\":\"membox-sim topology\","
          "\"description\":\"A membox-sim topology file (docs/config.md). Generated by "
          "`membox-sim schema` from the parameter tables: do not edit.\","
          "\"type\":\"object\",\"additionalProperties\":false,\"properties\":{",
          o);
    fputs("\"sim\":", o);
    table_object(o, cfg_sim_section_params, cfg_sim_section_n_params,
                 "run options and pool sizes (docs/config.md, sim)", true);
    fputs(",\"domains\":{\"type\":\"object\",\"description\":\"clock domains by name; pcie, "
          "lane, mem and ddr are built in and may be changed\",\"propertyNames\":"
          "{\"pattern\":\"^[A-Za-z_][A-Za-z0-9_]*$\"},\"additionalProperties\":"
          "{\"anyOf\":[",
          o);
    /* NAME: FREQ, or NAME: {freq, phase} (freq may be left out on a built-in). */
    for (size_t i = 0; i < cfg_domain_n_params; i++) {
        if (cfg_domain_params[i].type == SIM_PARAM_FREQ) {
            sim_schema_param(o, &cfg_domain_params[i]);
        }
    }
    fputc(',', o);
    table_object(o, cfg_domain_params, cfg_domain_n_params, NULL, false);
    fputs("]}},\"defaults\":{\"type\":\"object\",\"additionalProperties\":false,\"description\":"
          "\"keys for every instance of a type, below each instance's own\",\"properties\":{",
          o);
    for (size_t i = 0; i < reg->n_types; i++) {
        fputs(i ? "," : "", o);
        sim_schema_string(o, types[i]->name);
        fputs(":{\"$ref\":\"#/definitions/params.", o);
        fputs(types[i]->name, o);
        fputs("\"}", o);
    }
    fputs("}},\"instances\":{\"type\":\"object\",\"description\":\"instances by name\","
          "\"propertyNames\":{\"pattern\":\"^[A-Za-z_][A-Za-z0-9_]*$\"},"
          "\"additionalProperties\":{\"$ref\":\"#/definitions/instance\"}},"
          "\"links\":{\"type\":\"array\",\"description\":\"port-to-port links\",\"items\":",
          o);
    table_object(o, cfg_link_params, cfg_link_n_params, NULL, true);
    fputc('}', o);
    for (size_t i = 0; i < reg->n_systems; i++) {
        const SimSystemType *sys = reg->systems[i];
        fputc(',', o);
        sim_schema_string(o, sys->key);
        fputc(':', o);
        if (sys->schema != NULL) {
            sys->schema(o, reg);
        } else {
            fputs("{\"type\":\"object\",\"description\":", o);
            sim_schema_string(o, sys->doc);
            fputc('}', o);
        }
    }
    fputs("},\"definitions\":{", o);
    /* workload: a type and its keys, each type's keys checked once the type is known. */
    fputs("\"workload\":{\"type\":\"object\",\"properties\":{\"type\":{\"enum\":[", o);
    for (size_t i = 0; i < reg->n_types; i++) {
        fputs(i ? "," : "", o);
        sim_schema_string(o, types[i]->name);
    }
    fputs("],\"description\":\"the model type (membox-sim describe lists them)\"}},\"allOf\":[", o);
    for (size_t i = 0; i < reg->n_types; i++) {
        fputs(i ? ",{\"if\":{\"required\":[\"type\"],\"properties\":{\"type\":{\"const\":"
                : "{\"if\":{\"required\":[\"type\"],\"properties\":{\"type\":{\"const\":",
              o);
        sim_schema_string(o, types[i]->name);
        fprintf(o, "}}},\"then\":{\"$ref\":\"#/definitions/params.%s\"}}", types[i]->name);
    }
    fputs("]},\"instance\":{\"allOf\":[{\"$ref\":\"#/definitions/workload\"},"
          "{\"required\":[\"type\"]}]}",
          o);
    for (size_t i = 0; i < reg->n_types; i++) {
        fprintf(o, ",\"params.%s\":", types[i]->name);
        type_params(o, types[i], true);
    }
    fputs("}}", o);
    free(types);
    return finish(&buf, &len, o, out);
}

bool sim_config_write_preset_schema(const SimRegistry *reg, const char *type_name, FILE *out)
{
    const SimModelType *t = sim_config_find_type(reg, type_name);
    if (t == NULL) {
        errno = ENOENT;
        return false;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    if (o == NULL) {
        errno = ENOMEM;
        return false;
    }
    fputs("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"title\":", o);
    char title[300];
    snprintf(title, sizeof(title), "membox-sim preset of %s", t->name);
    sim_schema_string(o, title);
    fputs(",\"description\":\"A preset file (docs/config.md, Presets): keys of one model "
          "type. Generated by `membox-sim schema --preset TYPE`: do not edit.\",",
          o);
    fputs("\"type\":\"object\",\"additionalProperties\":false,\"properties\":{", o);
    bool first = true;
    sim_schema_params(o, t, NULL, &first);
    fputs("}}", o);
    return finish(&buf, &len, o, out);
}
