/* The compiled part of the error log scanner: one pass over a block of whole nginx log lines.
 *
 * scan(buf, start, end, marker, field, levels, needles) reads the lines of buf[start:end] (each
 * ends with '\n') and returns (upstream_groups, needle_groups, odd_upstream, odd_needle):
 *
 *  - upstream_groups: the upstream errors (lines in nginx's own layout, at one of ``levels``, with
 *    ``marker`` in them: "upstream, client: "), grouped by kind and upstream name, as tuples
 *    (kind, name, count, first, last, before_last). ``kind`` is the line from its level to the
 *    marker without digits (what is left names the level and the message); ``name`` is the
 *    upstream of its ``field`` ('upstream: "') without scheme and URI, as upstream_name() gives
 *    it (b"" when there is none); first, last and before_last are where those lines start in buf
 *    (before_last is -1 when the group has one line). Groups come in the order of their first
 *    lines.
 *  - needle_groups: the lines in nginx's layout, at one of ``levels``, without the marker and with
 *    one of ``needles``, grouped by message (as _parse_nginx() cuts it) and the upstream of their
 *    field, in tuples of the same shape.
 *  - odd_upstream, odd_needle: where the lines start that are not in nginx's layout (syslog or
 *    journald framing, or a head the Python scanner reads otherwise) and that have the marker, or
 *    a needle and no marker.
 *
 * Lines in nginx's layout below ``levels`` are skipped: nothing in them explains a 502. What a
 * kind or a message means is decided by the Python scanner (scanner.py), which has the same rules
 * for the lines it reads itself. The block is read without the GIL; memory is freed before return.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#define MAX_WORDS 16

typedef struct {
    uint64_t hash;
    Py_ssize_t key_at; /* in the arena */
    Py_ssize_t key_len;
    const char *name; /* in the block */
    Py_ssize_t name_len;
    Py_ssize_t count, first, last, before_last;
} Group;

typedef struct {
    Group *slots; /* open addressing; count == 0 is empty */
    Py_ssize_t cap, used;
} Table;

typedef struct {
    Py_ssize_t *items;
    Py_ssize_t len, cap;
} Offsets;

typedef struct {
    const char *text[MAX_WORDS];
    Py_ssize_t len[MAX_WORDS];
    Py_ssize_t count;
} Words;

typedef struct {
    const char *marker;
    Py_ssize_t marker_len;
    const char *field;
    Py_ssize_t field_len;
    Words levels, needles;
} Rules;

typedef struct {
    Table upstream, needle;
    char *arena; /* the keys, back to back */
    Py_ssize_t arena_len, arena_cap;
    Offsets odd_upstream, odd_needle;
    int failed; /* out of memory */
} Result;

static int offsets_add(Offsets *o, Py_ssize_t at) {
    if (o->len == o->cap) {
        Py_ssize_t cap = o->cap ? o->cap * 2 : 64;
        Py_ssize_t *items = realloc(o->items, (size_t)cap * sizeof(Py_ssize_t));
        if (!items) return -1;
        o->items = items;
        o->cap = cap;
    }
    o->items[o->len++] = at;
    return 0;
}

static uint64_t fnv1a(uint64_t h, const char *s, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int table_grow(Table *table) {
    Py_ssize_t cap = table->cap ? table->cap * 2 : 64;
    Group *slots = calloc((size_t)cap, sizeof(Group));
    if (!slots) return -1;
    for (Py_ssize_t i = 0; i < table->cap; i++) {
        Group *g = &table->slots[i];
        if (!g->count) continue;
        Py_ssize_t j = (Py_ssize_t)(g->hash & (uint64_t)(cap - 1));
        while (slots[j].count) j = (j + 1) & (cap - 1);
        slots[j] = *g;
    }
    free(table->slots);
    table->slots = slots;
    table->cap = cap;
    return 0;
}

static int arena_reserve(Result *r, Py_ssize_t n) {
    if (r->arena_len + n <= r->arena_cap) return 0;
    Py_ssize_t cap = r->arena_cap ? r->arena_cap : 4096;
    while (cap < r->arena_len + n) cap *= 2;
    char *arena = realloc(r->arena, (size_t)cap);
    if (!arena) return -1;
    r->arena = arena;
    r->arena_cap = cap;
    return 0;
}

/* Count the line at ``line_at`` in its group of ``table``: the key is [from, to), without its
 * digits when ``no_digits``, and the upstream name. The key is written at the end of the arena
 * first; it stays there only when the group is new. */
static int group_add(Result *r, Table *table, const char *from, const char *to, int no_digits, const char *name,
                     Py_ssize_t name_len, Py_ssize_t line_at) {
    if (arena_reserve(r, to - from) < 0) return -1;
    char *key = r->arena + r->arena_len;
    Py_ssize_t key_len = 0;
    if (no_digits) {
        for (const char *c = from; c < to; c++)
            if (*c < '0' || *c > '9') key[key_len++] = *c;
    } else {
        key_len = to - from;
        memcpy(key, from, (size_t)key_len);
    }
    uint64_t hash = fnv1a(fnv1a(14695981039346656037ULL, key, key_len), "\n", 1);
    hash = fnv1a(hash, name, name_len);
    if ((table->used + 1) * 2 > table->cap && table_grow(table) < 0) return -1;
    Py_ssize_t j = (Py_ssize_t)(hash & (uint64_t)(table->cap - 1));
    for (;; j = (j + 1) & (table->cap - 1)) {
        Group *g = &table->slots[j];
        if (!g->count) {
            g->hash = hash;
            g->key_at = r->arena_len;
            g->key_len = key_len;
            g->name = name;
            g->name_len = name_len;
            g->count = 1;
            g->first = g->last = line_at;
            g->before_last = -1;
            r->arena_len += key_len;
            table->used++;
            return 0;
        }
        if (g->hash == hash && g->key_len == key_len && g->name_len == name_len &&
            memcmp(r->arena + g->key_at, key, (size_t)key_len) == 0 &&
            memcmp(g->name, name, (size_t)name_len) == 0) {
            g->count++;
            g->before_last = g->last;
            g->last = line_at;
            return 0;
        }
    }
}

static const char *find(const char *from, const char *to, const char *word, Py_ssize_t n) {
    if (to - from < n) return NULL;
    return memmem(from, (size_t)(to - from), word, (size_t)n);
}

static int any_word(const char *from, const char *to, const Words *words) {
    for (Py_ssize_t i = 0; i < words->count; i++)
        if (find(from, to, words->text[i], words->len[i])) return 1;
    return 0;
}

static int is_level(const char *from, const char *to, const Words *levels) {
    for (Py_ssize_t i = 0; i < levels->count; i++)
        if (levels->len[i] == to - from && memcmp(from, levels->text[i], (size_t)(to - from)) == 0) return 1;
    return 0;
}

/* The upstream of the field in [from, to): 'upstream: "http://10.0.0.5:8080/api"' -> 10.0.0.5:8080,
 * 'upstream: "fastcgi://unix:/run/php.sock:"' -> unix:/run/php.sock, as upstream_name() does. */
static void upstream_of(const char *from, const char *to, const Rules *rules, const char **name,
                        Py_ssize_t *name_len) {
    *name = from;
    *name_len = 0;
    const char *f = find(from, to, rules->field, rules->field_len);
    if (!f) return;
    const char *raw = f + rules->field_len;
    const char *quote = memchr(raw, '"', (size_t)(to - raw));
    const char *raw_end = quote ? quote : to;
    const char *scheme = find(raw, raw_end, "://", 3);
    const char *rest = scheme ? scheme + 3 : raw;
    const char *stop;
    if (raw_end - rest >= 5 && memcmp(rest, "unix:", 5) == 0)
        stop = memchr(rest + 5, ':', (size_t)(raw_end - rest - 5));
    else
        stop = memchr(rest, '/', (size_t)(raw_end - rest));
    *name = rest;
    *name_len = (stop ? stop : raw_end) - rest;
}

/* An upstream error [p, le) whose level ends at j and whose marker is at u. */
static int upstream_line(Result *r, const Rules *rules, const char *p, const char *le, const char *j,
                         const char *u, Py_ssize_t at) {
    /* The head (up to the marker) must hold "] ", then ": *" (a connection), then a space. */
    const char *k = j + 2 <= u ? find(j, u, ": *", 3) : NULL;
    if (!k || !memchr(k + 3, ' ', (size_t)(u - (k + 3)))) return offsets_add(&r->odd_upstream, at);
    const char *name;
    Py_ssize_t name_len;
    upstream_of(u + rules->marker_len, le, rules, &name, &name_len);
    return group_add(r, &r->upstream, p + 21, u, 1, name, name_len, at);
}

/* A line [p, le) with a needle whose level ends at j: its message, as _parse_nginx() cuts it. */
static int needle_line(Result *r, const Rules *rules, const char *p, const char *le, const char *j,
                       Py_ssize_t at) {
    static const char client[] = ", client: ";
    const Py_ssize_t client_len = sizeof(client) - 1;
    const char *k = find(j, le, ": ", 2);
    if (!k) return 0;
    const char *s = k + 2;
    if (s < le && *s == '*') {
        const char *space = memchr(s, ' ', (size_t)(le - s));
        s = space ? space + 1 : p;
    }
    const char *c = find(p, le, client, client_len); /* the context, as the Python path cuts it */
    const char *e = c && c >= s ? c : find(s, le, client, client_len); /* the message's end */
    const char *name = p;
    Py_ssize_t name_len = 0;
    if (c) upstream_of(c + client_len, le, rules, &name, &name_len);
    return group_add(r, &r->needle, s, e ? e : le, 0, name, name_len, at);
}

/* One line [p, le) that starts at ``at`` in the block. */
static int line(Result *r, const Rules *rules, const char *p, const char *le, Py_ssize_t at) {
    Py_ssize_t n = le - p;
    if (!(n >= 21 && p[4] == '/' && p[13] == ':' && p[19] == ' ' && p[20] == '[')) {
        if (find(p, le, rules->marker, rules->marker_len)) return offsets_add(&r->odd_upstream, at);
        if (any_word(p, le, &rules->needles)) return offsets_add(&r->odd_needle, at);
        return 0;
    }
    const char *j = find(p + 21, le, "] ", 2);
    if (!j || !is_level(p + 21, j, &rules->levels)) return 0;
    const char *u = find(p, le, rules->marker, rules->marker_len);
    if (u) return upstream_line(r, rules, p, le, j, u, at);
    return any_word(p, le, &rules->needles) ? needle_line(r, rules, p, le, j, at) : 0;
}

static void scan_lines(Result *r, const Rules *rules, const char *buf, Py_ssize_t start, Py_ssize_t end) {
    const char *p = buf + start, *stop = buf + end;
    while (p < stop) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        const char *le = nl ? nl : stop;
        if (line(r, rules, p, le, p - buf) < 0) {
            r->failed = 1;
            return;
        }
        p = le + 1;
    }
}

static void result_free(Result *r) {
    free(r->upstream.slots);
    free(r->needle.slots);
    free(r->arena);
    free(r->odd_upstream.items);
    free(r->odd_needle.items);
}

static int words_from(PyObject *seq, Words *words, const char *what) {
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of bytes");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n > MAX_WORDS) {
        Py_DECREF(fast);
        PyErr_Format(PyExc_ValueError, "at most %d %s", MAX_WORDS, what);
        return -1;
    }
    words->count = n;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, i);
        char *text;
        if (PyBytes_AsStringAndSize(item, &text, &words->len[i]) < 0) {
            Py_DECREF(fast);
            return -1;
        }
        if (words->len[i] == 0) {
            Py_DECREF(fast);
            PyErr_Format(PyExc_ValueError, "an empty word in %s", what);
            return -1;
        }
        words->text[i] = text; /* kept alive by the caller's arguments */
    }
    Py_DECREF(fast);
    return 0;
}

static PyObject *offsets_list(const Offsets *o) {
    PyObject *list = PyList_New(o->len);
    if (!list) return NULL;
    for (Py_ssize_t i = 0; i < o->len; i++) {
        PyObject *v = PyLong_FromSsize_t(o->items[i]);
        if (!v) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

static int by_first(const void *a, const void *b) {
    Py_ssize_t x = (*(const Group *const *)a)->first, y = (*(const Group *const *)b)->first;
    return (x > y) - (x < y);
}

/* The groups in the order of their first lines: upstreams are kept in the order the log names them. */
static PyObject *groups_list(const Result *r, const Table *table) {
    const Group **order = malloc((size_t)(table->used ? table->used : 1) * sizeof(Group *));
    if (!order) return PyErr_NoMemory();
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < table->cap; i++)
        if (table->slots[i].count) order[n++] = &table->slots[i];
    qsort(order, (size_t)n, sizeof(Group *), by_first);
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list && i < n; i++) {
        const Group *g = order[i];
        PyObject *item = Py_BuildValue("(y#y#nnnn)", r->arena + g->key_at, g->key_len, g->name, g->name_len,
                                       g->count, g->first, g->last, g->before_last);
        if (!item) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, item);
    }
    free(order);
    return list;
}

static PyObject *result_tuple(const Result *r) {
    PyObject *parts[4] = {groups_list(r, &r->upstream), groups_list(r, &r->needle), offsets_list(&r->odd_upstream),
                          offsets_list(&r->odd_needle)};
    PyObject *out = NULL;
    if (parts[0] && parts[1] && parts[2] && parts[3]) out = PyTuple_Pack(4, parts[0], parts[1], parts[2], parts[3]);
    for (int i = 0; i < 4; i++) Py_XDECREF(parts[i]);
    return out;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    Py_ssize_t start, end;
    const char *marker, *field;
    Py_ssize_t marker_len, field_len;
    PyObject *levels, *needles;
    if (!PyArg_ParseTuple(args, "y*nny#y#OO:scan", &buf, &start, &end, &marker, &marker_len, &field, &field_len,
                          &levels, &needles))
        return NULL;
    PyObject *out = NULL;
    Rules rules;
    memset(&rules, 0, sizeof(rules));
    rules.marker = marker;
    rules.marker_len = marker_len;
    rules.field = field;
    rules.field_len = field_len;
    Result r;
    memset(&r, 0, sizeof(r));
    if (start < 0 || end < start || end > buf.len) {
        PyErr_SetString(PyExc_ValueError, "start and end must lie within the buffer");
        goto done;
    }
    if (marker_len == 0 || field_len == 0) {
        PyErr_SetString(PyExc_ValueError, "the marker and the field must not be empty");
        goto done;
    }
    if (words_from(levels, &rules.levels, "levels") < 0 || words_from(needles, &rules.needles, "needles") < 0)
        goto done;
    if (table_grow(&r.upstream) < 0 || table_grow(&r.needle) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS;
    scan_lines(&r, &rules, (const char *)buf.buf, start, end);
    Py_END_ALLOW_THREADS;
    if (r.failed)
        PyErr_NoMemory();
    else
        out = result_tuple(&r);
done:
    result_free(&r);
    PyBuffer_Release(&buf);
    return out;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(buf, start, end, marker, field, levels, needles)\n"
     "-> (upstream_groups, needle_groups, odd_upstream, odd_needle)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "fix502.errorlog._blockscan",
    .m_doc = "One pass over a block of nginx error log lines.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__blockscan(void) { return PyModule_Create(&module); }
